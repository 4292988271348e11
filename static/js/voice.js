// Voice messages: record with MediaRecorder, listen, write what is said if one wishes, send
// (multipart POST to the room's voice address). An empty transcript is written later by the
// platform when speech-to-text is set up (forums/transcription.py); the message arrives at
// once. Without MediaRecorder the section stays hidden.

import { formatDuration, newClientId } from "./util.js";

const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];

class VoiceRecorder {
  constructor(section, chat) {
    this.section = section;
    this.chat = chat;
    this.text = JSON.parse(document.getElementById("chat-text").textContent);
    this.recordButton = document.getElementById("voice-record");
    this.stopButton = document.getElementById("voice-stop");
    this.timer = document.getElementById("voice-timer");
    this.form = document.getElementById("voice-form");
    this.preview = document.getElementById("voice-preview");
    this.transcript = document.getElementById("voice-transcript");
    this.error = document.getElementById("voice-error");
    this.status = document.getElementById("voice-draft-status");
    this.blob = null;
    this.seconds = 0;
    this.maxSeconds = Number(section.dataset.maxSeconds) || 300;
    this.recordButton.addEventListener("click", () => this.start());
    this.stopButton.addEventListener("click", () => this.stop());
    document.getElementById("voice-cancel").addEventListener("click", () => this.reset());
    this.form.addEventListener("submit", (event) => this.submit(event));
    section.hidden = false;
  }

  async start() {
    this.error.textContent = "";
    this.generation = (this.generation || 0) + 1; // a new recording: forget the last draft
    this.draft = null;
    this.status.textContent = "";
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.error.textContent = this.text.mic_refused;
      this.form.hidden = false;
      return;
    }
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
    this.recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    const chunks = [];
    this.recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) chunks.push(event.data);
    });
    this.recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      this.blob = new Blob(chunks, { type: this.recorder.mimeType || "audio/webm" });
      this.preview.src = URL.createObjectURL(this.blob);
      this.form.hidden = false;
      this.recordButton.hidden = false;
      this.stopButton.hidden = true;
      this.timer.textContent = formatDuration(this.seconds, this.text);
      this.transcript.focus();
      if (this.section.dataset.draftUrl) this.propose();
    });
    this.started = performance.now();
    this.seconds = 0;
    this.recorder.start(250);
    this.recordButton.hidden = true;
    this.stopButton.hidden = false;
    this.stopButton.focus();
    this.tick = window.setInterval(() => {
      this.seconds = (performance.now() - this.started) / 1000;
      this.timer.textContent = this.text.recording.replace(
        "%(time)s", formatDuration(this.seconds, this.text));
      if (this.seconds >= this.maxSeconds) this.stop();
    }, 250);
  }

  stop() {
    window.clearInterval(this.tick);
    this.seconds = (performance.now() - this.started) / 1000;
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
  }

  // The recording goes up at once as a draft: the worker transcribes it and the text is
  // proposed in the box, unless the person has started typing. Sending never waits for it.
  async propose() {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", this.form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("audio", this.blob, `voice.${this.extension()}`);
    const generation = (this.generation = (this.generation || 0) + 1);
    try {
      const response = await fetch(this.section.dataset.draftUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      if (!response.ok || generation !== this.generation) return;
      this.draft = answer.id;
      this.showDraft(answer);
      this.poll(answer.url, generation);
    } catch {
      // No proposal: the person types, or sends as it is.
    }
  }

  async poll(url, generation) {
    while (generation === this.generation) {
      await new Promise((resolve) => window.setTimeout(resolve, 1500));
      if (generation !== this.generation) return;
      let state;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        state = await response.json();
      } catch {
        continue;
      }
      this.showDraft(state);
      if (state.status === "done" || state.status === "failed") return;
    }
  }

  showDraft(state) {
    const status = this.status;
    if (state.status === "done") {
      if (!this.transcript.value.trim()) this.transcript.value = state.transcript;
      status.textContent = this.text.draft_done;
    } else if (state.status === "failed") {
      status.textContent = this.text.draft_failed.replace("%(reason)s", state.failure);
    } else {
      status.textContent = state.progress
        ? `${this.text.draft_running} ${state.progress} %` : this.text.draft_running;
    }
  }

  extension() {
    return this.blob.type.includes("ogg") ? "ogg" : this.blob.type.includes("mp4") ? "m4a" : "webm";
  }

  reset() {
    this.generation = (this.generation || 0) + 1;
    this.draft = null;
    this.status.textContent = "";
    this.blob = null;
    this.form.reset();
    this.form.hidden = true;
    this.preview.removeAttribute("src");
    this.timer.textContent = "";
    this.error.textContent = "";
    this.recordButton.focus();
  }

  async submit(event) {
    event.preventDefault();
    if (!this.blob) {
      this.error.textContent = this.text.voice_unsupported;
      return;
    }
    const data = new FormData(this.form);
    // Already uploaded as a draft: only its id goes, not the recording again.
    if (this.draft) data.append("draft", this.draft);
    else data.append("audio", this.blob, `voice.${this.extension()}`);
    data.append("client_id", newClientId());
    const button = document.getElementById("voice-send");
    button.disabled = true;
    try {
      const response = await fetch(this.form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      if (!response.ok) {
        this.error.textContent = answer.error || this.text.send_failed;
        return;
      }
      document.dispatchEvent(new CustomEvent("chat:message", { detail: answer.message }));
      this.reset();
    } catch {
      this.error.textContent = this.text.send_failed;
    } finally {
      button.disabled = false;
    }
  }
}

const section = document.getElementById("voice");
if (section && window.MediaRecorder && navigator.mediaDevices) {
  new VoiceRecorder(section);
}
