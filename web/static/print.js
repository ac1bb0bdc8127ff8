// Cover sheets print from the screen they were asked on: the PDF shows in a panel of this page and
// the print dialog opens, so a kiosk in full-screen mode (no tabs, no back button) never leaves
// its screen. A refusal (nothing picked, too many) comes back as a redirect: the page reloads and
// shows it. Without JavaScript the form posts as usual and the PDF opens in place.
(() => {
  const panel = document.getElementById("print-panel");
  if (!panel) return;
  const frame = panel.querySelector("iframe");
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.classList.contains("print-form")) return;
    event.preventDefault();
    const data = new FormData(form);
    data.set("in_frame", "1");
    let response;
    try {
      response = await fetch(form.action, {method: "POST", body: data, credentials: "same-origin", redirect: "manual"});
    } catch (error) {
      form.submit();
      return;
    }
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.startsWith("application/pdf")) {
      window.location.reload();  // the refusal waits in the session as a message
      return;
    }
    frame.onload = () => {
      try { frame.contentWindow.print(); } catch (error) { /* the viewer's own print button is there */ }
    };
    frame.src = URL.createObjectURL(await response.blob());
    panel.hidden = false;
    panel.scrollIntoView();
  });
  panel.querySelector("button.close").addEventListener("click", () => {
    panel.hidden = true;
    frame.removeAttribute("src");
  });
})();
