"""What the assembly tells the apps built on it, which it does not import.

``forums`` (a room per subgroup, who may read it) and ``deliberation`` (who may write in
a subgroup's drafts) connect to these in their ``AppConfig.ready()``. Sent inside the
operation's transaction, after the change.
"""

from django.dispatch import Signal

# A subgroup was created: sender=Subgroup, subgroup=, mandate=.
subgroup_created = Signal()
# People joined or left a subgroup: sender=Subgroup, subgroup=, people= (their ids).
subgroup_people_changed = Signal()
# Readers' suggestions were allowed or stopped in a subgroup's drafts: sender=Subgroup,
# subgroup=.
subgroup_reader_suggestions_changed = Signal()
