/* "Was this article helpful?" on the article pages Guichet serves: the answer goes to
   POST /api/v1/search/feedback, as the chat's "did that solve it?" does. */
(function () {
  "use strict";
  var section = document.querySelector(".feedback[data-entry]");
  if (!section) return;
  var status = section.querySelector(".feedback-status");
  var buttons = section.querySelectorAll("button[data-helpful]");

  function settle(chosen, text) {
    buttons.forEach(function (button) {
      button.disabled = chosen !== null;
      button.setAttribute("aria-pressed", String(button === chosen));
    });
    status.textContent = text;
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", async function () {
      settle(button, "");
      try {
        var response = await fetch("/api/v1/search/feedback", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({
            query: section.getAttribute("data-query"),
            entry_id: section.getAttribute("data-entry"),
            helpful: button.getAttribute("data-helpful") === "true"
          })
        });
        if (!response.ok) throw new Error(String(response.status));
        settle(button, section.getAttribute("data-thanks"));
      } catch (error) {
        settle(null, section.getAttribute("data-failed"));
      }
    });
  });
})();
