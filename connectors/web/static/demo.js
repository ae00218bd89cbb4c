// The demo intranet page's language switch (connectors/web/demo.py).
(function () {
  function apply(lang) {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-" + lang + "]").forEach(function (el) {
      el.textContent = el.getAttribute("data-" + lang);
    });
    document.querySelectorAll("[data-set-lang]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-set-lang") === lang));
    });
    localStorage.setItem("demo.lang", lang);
  }
  document.querySelectorAll("[data-set-lang]").forEach(function (b) {
    b.addEventListener("click", function () { apply(b.getAttribute("data-set-lang")); });
  });
  apply(localStorage.getItem("demo.lang") || document.documentElement.lang);
})();
