// Dragging a photographed page's four corners (handover/_photo.html): each handle follows the
// finger or the mouse in the photo's own pixels, the outline with it, the form's fields too.
document.querySelectorAll("figure.photo-page").forEach(function (figure) {
  var svg = figure.querySelector("svg.corners");
  var outline = svg.querySelector("polygon.outline");
  var form = figure.querySelector("form.corners-form");
  var dragging = null;

  function at(event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var inPhoto = point.matrixTransform(svg.getScreenCTM().inverse());
    var w = +svg.dataset.width, h = +svg.dataset.height;
    return [Math.min(Math.max(inPhoto.x, -0.1 * w), 1.1 * w), Math.min(Math.max(inPhoto.y, -0.1 * h), 1.1 * h)];
  }

  function redraw() {
    var points = [];
    svg.querySelectorAll("circle.handle").forEach(function (handle) {
      var n = handle.dataset.corner, x = handle.getAttribute("cx"), y = handle.getAttribute("cy");
      points.push(x + "," + y);
      if (form) {
        form.querySelector("input[name=x" + n + "]").value = x;
        form.querySelector("input[name=y" + n + "]").value = y;
      }
    });
    outline.setAttribute("points", points.join(" "));
  }

  svg.querySelectorAll("circle.handle").forEach(function (handle) {
    handle.addEventListener("pointerdown", function (event) {
      dragging = handle;
      handle.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    handle.addEventListener("pointermove", function (event) {
      if (dragging !== handle) return;
      var p = at(event);
      handle.setAttribute("cx", Math.round(p[0]));
      handle.setAttribute("cy", Math.round(p[1]));
      redraw();
    });
    handle.addEventListener("pointerup", function () { dragging = null; });
  });
});
