// Choosing a scanner offers the profile last used on it, and greys out the profiles it cannot do
// (a source, mode, resolution or paper size it lacks), saying why; the kiosk checks again on Scan.
(() => {
  const form = document.getElementById("start");
  if (!form) return;
  const choose = (scanner) => {
    const unfit = JSON.parse(scanner.dataset.unfit || "{}");
    for (const radio of form.querySelectorAll("input[name=profile]")) {
      const why = unfit[radio.value] || "";
      radio.disabled = Boolean(why);
      radio.closest("label").classList.toggle("unfit", Boolean(why));
      radio.closest("label").querySelector(".why").textContent = why;
      if (radio.value === scanner.dataset.profile && !why) radio.checked = true;
      if (why && radio.checked) radio.checked = false;
    }
  };
  for (const scanner of form.querySelectorAll("input[name=device]")) {
    scanner.addEventListener("change", () => choose(scanner));
  }
})();
