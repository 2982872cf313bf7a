// The stakeholder map as a PNG (templates/stakeholders/map.html): the SVG
// download of the same filter, drawn on a canvas at twice its size and saved.
// Made in the browser: the server has no image library (see docs/map.md).
// The button stays hidden without JavaScript; the SVG link works alone.
(function () {
  "use strict";
  document.querySelectorAll("[data-map-png]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var image = new Image();
      image.onload = function () {
        var scale = 2;
        var canvas = document.createElement("canvas");
        canvas.width = image.naturalWidth * scale;
        canvas.height = image.naturalHeight * scale;
        var context = canvas.getContext("2d");
        context.scale(scale, scale);
        context.drawImage(image, 0, 0);
        canvas.toBlob(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = button.dataset.filename;
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
        }, "image/png");
      };
      image.onerror = function () {
        window.alert(gettext("The map could not be drawn as an image."));
      };
      // Same origin: img-src 'self' allows it, and the canvas stays readable.
      image.src = button.dataset.mapPng;
    });
  });
})();
