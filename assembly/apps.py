from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssemblyConfig(AppConfig):
    name = "assembly"
    verbose_name = _("Assembly")

    def ready(self) -> None:
        from accounts.roles import register_member_roles
        from assembly.roles import member_roles

        # What role a person holds as a member follows from their membership, here.
        register_member_roles(member_roles)

        from django.db.models.signals import post_delete, post_save

        from assembly import sessiondocs
        from assembly.models import Session, SessionDocument
        from assembly.sessiondoc_store import SessionDocStore
        from realtime.yjs import registry

        # A session's documents follow it (assembly.deadlines): made when it is created,
        # their due dates moved with it; their text goes with them.
        post_save.connect(sessiondocs.session_saved, sender=Session, dispatch_uid="sessiondocs")
        post_delete.connect(
            sessiondocs.document_deleted, sender=SessionDocument, dispatch_uid="sessiondocs-del"
        )
        # Their text is a Yjs document kind (docs/protocol.md, « Session documents »).
        registry.register(sessiondocs.KIND, SessionDocStore(), path=sessiondocs.PATH)
        # Joining a session's live call records attendance (assembly.attendance); calls
        # knows nothing of sessions, so this app listens.
        from assembly.attendance import on_call_participation_saved

        post_save.connect(
            on_call_participation_saved, sender="calls.CallParticipation",
            dispatch_uid="assembly.attendance.call",
        )

        # A receipt's file goes with its row (a refused claim deleted, retention).
        from assembly.claims import on_receipt_deleted

        post_delete.connect(on_receipt_deleted, sender="assembly.TravelReceipt",
                            dispatch_uid="assembly.claims.receipt_file")
