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

  reset() {
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
    const extension = this.blob.type.includes("ogg") ? "ogg" : this.blob.type.includes("mp4") ? "m4a" : "webm";
    data.append("audio", this.blob, `voice.${extension}`);
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
