/* Guichet console: live updates over server-sent events, no framework. */
"use strict";
var GuichetConsole = (function () {
  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);
    if (className) node.className = className;
    return node;
  }

  function listen(url, handlers) {
    var source = new EventSource(url, { withCredentials: true });
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (message) {
        handlers[name](JSON.parse(message.data));
      });
    });
    return source;
  }

  function renderRow(item, labels) {
    function label(code) { return Object.prototype.hasOwnProperty.call(labels, code) ? labels[code] : code; }
    var row = document.createElement("tr");
    row.dataset.id = item.id;
    row.appendChild(text("td", item.priority, "prio prio-" + item.priority));
    var due = document.createElement("td");
    var time = text("time", new Date(item.due_at).toLocaleString(document.documentElement.lang, {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    }));
    time.setAttribute("datetime", item.due_at);
    due.appendChild(time);
    row.appendChild(due);
    var user = document.createElement("td");
    var link = text("a", item.requester);
    link.href = "/console/escalations/" + item.id;
    user.appendChild(link);
    row.appendChild(user);
    row.appendChild(text("td", item.last_user_message));
    row.appendChild(text("td", label(item.category)));
    row.appendChild(text("td", item.channel));
    row.appendChild(text("td", item.language));
    row.appendChild(text("td", label(item.status) + (item.assignee ? " · " + item.assignee : "")));
    row.appendChild(text("td", item.ticket_reference));
    return row;
  }

  function queue() {
    var body = document.getElementById("queue-rows");
    var labels = JSON.parse(body.dataset.labels || "{}");
    var live = document.getElementById("live");
    var params = new URLSearchParams(window.location.search);
    Array.from(params.keys()).forEach(function (key) {
      if (!params.get(key)) params.delete(key);
    });
    var timer = null;
    function reload() {
      clearTimeout(timer);
      timer = setTimeout(function () {  // one reload for a burst of events
        fetch("/api/v1/escalations?" + params.toString(), { credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (items) {
            body.replaceChildren.apply(body, items.map(function (item) { return renderRow(item, labels); }));
            if (!items.length) {
              var empty = document.createElement("tr");
              empty.className = "empty";
              var cell = text("td", body.dataset.empty || "No escalation.");
              cell.colSpan = 9;
              empty.appendChild(cell);
              body.appendChild(empty);
            }
            live.textContent = (live.dataset.updated || "Updated {time}")
              .replace("{time}", new Date().toLocaleTimeString());
          });
      }, 150);
    }
    listen("/api/v1/escalations/events", {
      escalation: reload,
      activity: reload,
      approval: function (event) { refreshBanner(event.change === "escalated"); },
    });
  }

  // The page at `url`, parsed: the server renders, the script swaps the parts that changed.
  function fetchPage(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }

  // The queue page's line naming the approvals the service desk has; it flashes on an escalation.
  function refreshBanner(escalated) {
    fetchPage("/console/approvals/banner?language=" + document.documentElement.lang).then(function (fragment) {
      var fresh = fragment.getElementById("approvals-banner");
      var banner = document.getElementById("approvals-banner");
      if (!fresh || !banner) return;
      if (escalated) fresh.classList.add("fresh");
      banner.replaceWith(document.importNode(fresh, true));
    });
  }

  function approvals() {
    var live = document.getElementById("live");
    var timer = null;
    function typing() {  // a reason being written is never thrown away
      var body = document.getElementById("approval-rows");
      return Array.from(body.querySelectorAll("textarea")).some(function (area) {
        return area.value.trim() !== "" || area === document.activeElement;
      }) || Array.from(body.querySelectorAll("details")).some(function (d) { return d.open; });
    }
    function reload() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (typing()) {
          live.textContent = live.dataset.changed || "The list changed; reload the page to see it.";
          return;
        }
        fetchPage(window.location.pathname + "?language=" + document.documentElement.lang).then(function (page) {
          var rows = page.getElementById("approval-rows");
          if (!rows) return;
          document.getElementById("approval-rows").replaceWith(document.importNode(rows, true));
          live.textContent = (live.dataset.updated || "Updated {time}")
            .replace("{time}", new Date().toLocaleTimeString());
        });
      }, 150);
    }
    listen("/api/v1/escalations/events", { approval: reload });
  }

  function escalation() {
    var list = document.getElementById("transcript");
    var id = Number(list.dataset.escalation);
    var url = "/api/v1/escalations/events?conversation_id=" + encodeURIComponent(list.dataset.conversation);
    var roles = JSON.parse(list.dataset.roles || "{}");
    var offered = JSON.parse(list.dataset.offered || "{}");  // payload -> the button's title
    listen(url, {
      turn: function (turn) {
        var item = text("li", "", "turn " + turn.role);
        item.appendChild(text("span", roles[turn.role] || turn.role, "role"));
        item.appendChild(document.createTextNode(" "));
        var title = turn.role === "user" ? offered[turn.text] : undefined;
        var said = text("span", "", "text");
        if (title) {
          var choice = text("span", (list.dataset.chose || "{title}").replace("{title}", title), "choice");
          choice.title = turn.text;
          said.appendChild(choice);
        } else if (turn.role !== "user" && typeof turn.html === "string") {
          said.innerHTML = turn.html;  // rendered and escaped on the server (bot/console/markdown.py)
        } else {
          said.textContent = turn.text;
        }
        item.appendChild(said);
        (turn.choices || []).forEach(function (button) { offered[button.payload] = button.title; });
        list.appendChild(item);
        item.scrollIntoView({ block: "nearest" });
      },
      escalation: function (event) {
        if (event.id === id && event.status !== document.getElementById("status").dataset.status) {
          window.location.reload();  // another agent took or closed it
        }
      },
    });
  }

  var pages = { queue: queue, escalation: escalation, approvals: approvals };
  // The page names what to start (data-page on this script): no inline script, for the CSP.
  var page = document.currentScript && document.currentScript.getAttribute("data-page");
  if (page && pages[page]) {
    pages[page]();
  }
  return pages;
})();
