// Batches in progress: their status and filing progress, refreshed every two seconds.
(function () {
  const script = document.currentScript;
  const table = document.getElementById("batches");
  if (!table) return;
  setInterval(async () => {
    const response = await fetch(script.dataset.url, { headers: { Accept: "application/json" } });
    if (response.status === 401) {  // the session ended (idle time): the page goes to the login
      window.location.reload();
      return;
    }
    if (!response.ok) return;
    const batches = await response.json();
    const byId = Object.fromEntries(batches.map((b) => [b.batch, b]));
    for (const row of table.querySelectorAll("tr[data-batch]")) {
      const batch = byId[row.dataset.batch];
      const cell = row.querySelector(".status");
      if (!batch) {
        cell.textContent = table.dataset.filed || "✓";
        row.classList.add("done");
      } else {
        let text = (JSON.parse(table.dataset.names || "{}")[batch.status]) || batch.status;
        const p = batch.progress;
        if (p) text += " (OCR " + p.ocr_done + "/" + p.documents + ", " + table.dataset.filedWord + " " + p.filed + "/" + p.documents + ")";
        if (batch.error) text += " — " + batch.error;
        cell.textContent = text;
      }
    }
  }, 2000);
})();
