// The live scan screen: pages and the batch state arrive as server-sent events; no reloads.
(function () {
  const root = document.getElementById("live");
  const labels = JSON.parse(root.dataset.labels);
  const statusNames = JSON.parse(root.dataset.status);
  const english = root.dataset.lang === "en";
  const pages = document.getElementById("pages");
  const status = document.getElementById("status");
  const fault = document.getElementById("fault");

  function card(page) {
    let li = document.getElementById("page-" + page.page);
    if (!li) {
      li = document.createElement("li");
      li.id = "page-" + page.page;
      pages.appendChild(li);
    }
    const kind = page.kind || "pending";
    li.className = "thumb " + kind + (page.hidden ? " hidden" : "");
    li.dataset.kind = kind;
    li.replaceChildren();
    if (page.hidden) {  // withheld, or not known yet whose page it is
      const box = document.createElement("div");
      box.className = "withheld";
      box.textContent = page.kind ? labels.hidden : labels.pending;
      li.appendChild(box);
    } else {
      const img = document.createElement("img");
      img.src = page.thumb + "?v=" + (page.kind || "new");
      img.alt = labels.page + " " + page.page;
      li.appendChild(img);
    }
    const caption = document.createElement("span");
    caption.textContent = page.page + " · " + labels[kind] + (page.maybe_blank ? " (" + labels.maybe_blank + ")" : "") +
      " · " + (page.register_id || labels.none);
    li.appendChild(caption);
    if (page.problem) {
      const problem = document.createElement("small");
      problem.textContent = page.problem;
      li.appendChild(problem);
    }
  }

  function showState(state) {
    let text = statusNames[state.status] || state.status;
    if (state.pages !== undefined) text += " — " + state.pages + " " + labels.pages;
    const p = state.progress;
    if (p) text += " (OCR " + p.ocr_done + "/" + p.documents + ", " + labels.filed_word + " " + p.filed + "/" + p.documents + ")";
    status.textContent = text;
    root.dataset.status_now = state.status;
    if (state.fault && state.status === "interrupted") {
      document.getElementById("fault-text").textContent = state.fault.text || (english ? state.fault.en : state.fault.id);
      document.getElementById("resume").hidden = state.fault.kind === "profile";  // choose another profile instead
      fault.hidden = false;
    } else {
      fault.hidden = true;
    }
    document.getElementById("scan-more").disabled = state.status === "scanning" || state.status === "filing" || state.status === "queued";
  }

  let source = null;
  function connect() {
    source = new EventSource(root.dataset.events);
    source.addEventListener("page", (e) => card(JSON.parse(e.data)));
    source.addEventListener("state", (e) => {
      const state = JSON.parse(e.data);
      showState(state);
      if (state.status === "filed") source.close();
    });
    source.addEventListener("logout", (e) => {  // the session ended (idle time): to the login
      source.close();
      window.location.href = JSON.parse(e.data).login;
    });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) return;  // the browser reconnects by itself
      // Refused (a 401 after the session ended, a server restart): ask why, then log in or retry.
      fetch(root.dataset.events, { method: "HEAD", credentials: "same-origin" }).then((r) => {
        if (r.status === 401) window.location.href = root.dataset.login;
        else setTimeout(connect, 2000);
      }, () => setTimeout(connect, 5000));
    });
  }
  connect();

  function resume() {
    fault.hidden = true;
    fetch(root.dataset.resume, { method: "POST", headers: { "X-CSRFToken": root.dataset.csrf } });
  }
  document.getElementById("resume").addEventListener("click", resume);
  document.getElementById("scan-more").addEventListener("click", resume);
})();
