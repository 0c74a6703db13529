// Starts reveal.js, then keeps every slide inside the 1280×720 frame: where the content of
// a slide would overflow, its font size (and with it every em-sized box) is reduced in 5 %
// steps, down to 75 %: a slide that needs more has too much on it, and the site check fails it.
// Fitting waits for MathJax, since typeset formulas change the heights.
(function () {
  const WIDTH = 1280, HEIGHT = 720, SMALLEST = 75;
  function fit(slide) {
    if (!slide || slide.dataset.fitted) return;
    let size = 100;
    slide.style.fontSize = "";
    while ((slide.scrollHeight > HEIGHT || slide.scrollWidth > WIDTH) && size > SMALLEST) {
      size -= 5;
      slide.style.fontSize = size + "%";
    }
    slide.dataset.fitted = String(size);
  }
  const mathReady = () => (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
  Reveal.initialize({
    width: WIDTH, height: HEIGHT, margin: 0.04, center: false, hash: true, slideNumber: "c/t",
    transition: "none", backgroundTransition: "none", plugins: [RevealNotes],
  }).then(() => mathReady()).then(() => {
    fit(Reveal.getCurrentSlide());
    Reveal.on("slidechanged", (event) => fit(event.currentSlide));
    document.body.dataset.deckReady = "1";
  });
})();
