// A page of the review opens at full size over the screen, not in a new tab (a kiosk in
// full-screen mode has no tabs to come back from); a tap anywhere closes it.
(() => {
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  const image = viewer.querySelector("img");
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.page-view");
    if (!link) return;
    event.preventDefault();
    image.src = link.href;
    image.className = link.querySelector("img") ? link.querySelector("img").className : "";
    viewer.showModal();
  });
  viewer.addEventListener("click", () => viewer.close());
})();
