// Scans a family's sign-in QR code with the phone's camera where the browser can (BarcodeDetector,
// e.g. Chrome on Android); elsewhere the teacher types the digits under the code.
(function () {
  var button = document.getElementById("scan");
  var video = document.getElementById("scanner");
  var input = document.getElementById("id_code");
  var form = document.getElementById("checkin-form");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            input.value = codes[0].rawValue;
            form.submit();
          } else {
            window.requestAnimationFrame(look);
          }
        }, function () { window.requestAnimationFrame(look); });
      };
      look();
    });
  });
})();
