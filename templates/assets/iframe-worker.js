// Chromium starts no web worker for a page opened from disk (file://), and material's search
// runs in one. On such a page, Worker becomes a hidden frame that runs the worker's script on
// the page's thread and passes the same messages. Only what the search worker uses is there:
// postMessage both ways and "message" events (no importScripts, which only languages other
// than English need).
(function () {
  "use strict";
  if (location.protocol !== "file:") return;

  class FrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.onmessage = null;
      this.waiting = [];
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      document.documentElement.appendChild(this.frame);
      this.scope = this.frame.contentWindow;
      // What the worker posts reaches its owner later, as a real worker's message would.
      this.scope.postMessage = (data) => setTimeout(() => this.receive(data), 0);
      const script = this.scope.document.createElement("script");
      script.src = new URL(url, location.href).href;
      script.addEventListener("load", () => {
        const waiting = this.waiting;
        this.waiting = null;
        waiting.forEach((data) => this.send(data));
      });
      this.scope.document.head.appendChild(script);
    }

    postMessage(data) {
      // Messages sent before the script has loaded wait for it, as a worker's queue would.
      if (this.waiting) this.waiting.push(data);
      else setTimeout(() => this.send(data), 0);
    }

    send(data) {
      this.scope.dispatchEvent(new this.scope.MessageEvent("message", { data }));
    }

    receive(data) {
      const event = new MessageEvent("message", { data });
      this.dispatchEvent(event);
      if (typeof this.onmessage === "function") this.onmessage(event);
    }

    terminate() {
      this.frame.remove();
    }
  }

  window.Worker = FrameWorker;
})();
