/*
 * Guichet web widget: a floating help button, an omnibox with suggestions as you type and a chat
 * panel. One script tag, no build step, no dependency:
 *
 *   <script src="https://guichet.example/widget/guichet.js"
 *           data-token-url="/portal/guichet-token" defer></script>
 *
 * data-token-url  a URL of the host portal answering {"token": "<JWT>"} for the signed-in user
 * data-token      the token itself (when the page is rendered for the user)
 * data-lang       "en" or "fr"; default: the page's <html lang>, unless the user chose
 * data-api        Guichet's base URL; default: where this script comes from
 * Without a token the widget offers the knowledge base only.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.Guichet) return;

  var LANGUAGES = ["en", "fr"];
  var DEBOUNCE_MS = 150;
  var MIN_CHARACTERS = 2;
  var KNOWLEDGE = { incident_notice: 1, maintenance_notice: 1, catalog_item: 1, procedure: 1, faq: 1, known_error: 1 };
  // Three sections at most, each once: ongoing incidents, the entries best first (each with
  // its kind as a small badge: grouping by kind put a catalog item that merely shares a word
  // before the known error that answers, and repeated headings once kinds interleave), and the
  // ticket and agent fallbacks.
  var SECTION_OF = {
    incident_notice: "incidents",
    maintenance_notice: "maintenance",
    create_ticket: "fallbacks",
    chat_agent: "fallbacks"
  };
  var BADGED = { action: true, catalog_item: true, procedure: true, faq: true, known_error: true };
  var ICON_PATHS = {
    incident_notice: "M12 3 2 21h20L12 3zm0 6v6m0 2.5v.5",
    maintenance_notice: "M4 5h16v15H4V5zm0 5h16M8 3v4m8-4v4m-6 7 2 2 4-4",
    action: "M13 2 4 14h7l-1 8 9-12h-7l1-8z",
    catalog_item: "M3 4h2l2.4 11h10.2L20 7H6.2M9 20a1 1 0 1 0 0 .1M17 20a1 1 0 1 0 0 .1",
    procedure: "M6 2h9l5 5v15H6V2zm9 0v5h5M9 12h8M9 16h8",
    faq: "M6 2h9l5 5v15H6V2zm9 0v5h5M9 12h8M9 16h8",
    known_error: "M9 4h6M12 4v3m-5 4a5 5 0 0 1 10 0v5a5 5 0 0 1-10 0v-5zM3 12h4m10 0h4M4 19l3-2m13 2-3-2",
    create_ticket: "M12 5v14M5 12h14",
    chat_agent: "M4 4h16v11H9l-5 4V4z",
    help: "M4 4h16v11H9l-5 4V4zm8 3.5a2 2 0 0 1 2 2c0 1.5-2 1.5-2 3m0 2v.5"
  };

  var base = (script.getAttribute("data-api") || new URL(script.src, location.href).origin)
    .replace(/\/$/, "");
  var storage = safeStorage(window.localStorage);
  var session = safeStorage(window.sessionStorage);

  var state = {
    token: null,
    user: null,
    texts: null,
    language: "en",
    chosenLanguage: storage.get("guichet.lang"),
    conversationId: null,
    cursor: null,
    suggestions: [],
    active: -1,
    query: "",
    sequence: 0,
    inFlight: null,
    timer: null,
    stream: null,
    streamDelay: 500,
    starting: null,
    limits: { message: 4000, search: 200 } // replaced by the server's on start
  };

  // -- DOM --------------------------------------------------------------------------------------

  var host = document.createElement("div");
  host.id = "guichet-widget";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<link rel="stylesheet" href="' + base + '/widget/guichet.css">' +
    '<button type="button" class="launcher" aria-haspopup="dialog" aria-expanded="false"' +
    ' aria-controls="g-panel">' + icon("help") + '<span class="launcher-text"></span>' +
    '<span class="badge" hidden></span></button>' +
    // The header comes after the omnibox in the DOM, so that Tab goes from the search box to
    // the language and close buttons; the style shows it on top.
    '<section class="panel" id="g-panel" role="dialog" aria-modal="true" aria-labelledby="g-title" hidden>' +
    '<div class="omnibox"><label for="g-input" class="sr-only" id="g-input-label"></label>' +
    '<input id="g-input" type="text" role="combobox" aria-autocomplete="list"' +
    ' aria-expanded="false" aria-controls="g-listbox" autocomplete="off" spellcheck="false">' +
    '<div id="g-listbox" role="listbox" hidden></div>' +
    '<div id="g-count" class="sr-only" role="status" aria-live="polite"></div></div>' +
    '<header class="head"><h2 id="g-title"></h2>' +
    '<div class="langs" role="group">' +
    '<button type="button" data-lang="en" lang="en">EN</button>' +
    '<button type="button" data-lang="fr" lang="fr">FR</button></div>' +
    '<button type="button" class="close"><span aria-hidden="true">\u00d7</span></button></header>' +
    '<p class="visitor" hidden></p>' +
    '<div class="chat" hidden><div class="log" role="log" aria-live="polite"></div>' +
    '<div class="typing" role="status" hidden><span class="dots" aria-hidden="true">' +
    "<i></i><i></i><i></i></span><span class=\"sr-only typing-text\"></span></div>" +
    '<form class="composer"><label for="g-reply" class="sr-only" id="g-reply-label"></label>' +
    '<input id="g-reply" type="text" autocomplete="off" aria-describedby="g-reply-count">' +
    '<button type="submit" class="send" aria-describedby="g-reply-count"></button>' +
    '<p class="counter" id="g-reply-count" hidden></p></form>' +
    '<button type="button" class="new-conversation"></button></div>' +
    '<p class="failure" role="alert" hidden></p></section>';

  var launcher = root.querySelector(".launcher");
  var badge = root.querySelector(".badge");
  var panel = root.querySelector(".panel");
  var closeButton = root.querySelector(".close");
  var input = root.querySelector("#g-input");
  var listbox = root.querySelector("#g-listbox");
  var count = root.querySelector("#g-count");
  var visitorNote = root.querySelector(".visitor");
  var chat = root.querySelector(".chat");
  var log = root.querySelector(".log");
  var typing = root.querySelector(".typing");
  var composer = root.querySelector(".composer");
  var reply = root.querySelector("#g-reply");
  var send = root.querySelector(".send");
  var counter = root.querySelector(".counter");
  var newConversation = root.querySelector(".new-conversation");
  var failure = root.querySelector(".failure");
  host.hidden = true; // shown once the texts are loaded

  // -- helpers ----------------------------------------------------------------------------------

  function safeStorage(area) {
    return {
      get: function (key) {
        try { return area.getItem(key); } catch (e) { return null; }
      },
      set: function (key, value) {
        try {
          if (value === null) area.removeItem(key); else area.setItem(key, value);
        } catch (e) { /* private mode: nothing is kept */ }
      }
    };
  }

  function icon(type) {
    return '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
      '<path d="' + (ICON_PATHS[type] || ICON_PATHS.procedure) + '"/></svg>';
  }

  function say(key, values) {
    var text = (state.texts && state.texts[state.language][key]) || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("{" + name + "}", String(values[name]));
    });
    return text;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // The server escapes titles and snippets and marks matched words; keep <mark> and nothing else.
  function marked(html) {
    return String(html || "").replace(/<(?!\/?mark>)[^>]*>/g, "");
  }

  function resolveUrl(url) {
    var resolved;
    try { resolved = new URL(url, base + "/"); } catch (e) { return null; }
    return /^https?:$/.test(resolved.protocol) ? resolved.href : null;
  }

  function isExternal(url) {
    return new URL(url).origin !== location.origin;
  }

  function number(n) {
    return new Intl.NumberFormat(state.language).format(n);
  }

  function pageLanguage() {
    var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "")
      .slice(0, 2).toLowerCase();
    return LANGUAGES.indexOf(lang) >= 0 ? lang : null;
  }

  function conversationKey() {
    return "guichet.conversation:" + state.user;
  }

  // -- HTTP -------------------------------------------------------------------------------------

  function ApiError(status, detail, fields) {
    this.name = "ApiError";
    this.status = status;
    this.message = detail;
    this.fields = fields || {};
  }

  // What to tell the user about a failed request: a refusal (4xx) says what is wrong, in
  // their language; only a network failure or a 5xx means Guichet cannot be reached.
  function problem(error, text) {
    if (!(error instanceof ApiError) || error.status >= 500) return say("error");
    if ((error.status === 422 || error.status === 413) && text && text.length > state.limits.message) {
      return tooLong(text.length);
    }
    var reasons = Object.keys(error.fields).map(function (key) { return error.fields[key]; });
    var reason = reasons.length === 1 ? reasons[0] : error.message;
    if (typeof reason === "string" && reason && reason.length <= 200 && reason.indexOf("{") < 0) {
      return say("refused", { reason: reason });
    }
    return say("refused_unknown");
  }

  function tooLong(length) {
    return say("too_long", { length: number(length), limit: number(state.limits.message) });
  }

  async function api(method, path, body, options) {
    options = options || {};
    var headers = { Accept: "application/json", "Accept-Language": state.language };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = "Bearer " + state.token;
    var response = await fetch(base + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
      credentials: "omit"
    });
    if (response.status === 401 && state.token && !options.retried) {
      state.token = await loadToken(); // expired: the portal signs a fresh one
      return api(method, path, body, Object.assign({}, options, { retried: true }));
    }
    if (!response.ok) {
      var refused = {};
      try { refused = (await response.json()) || {}; } catch (e) { /* not JSON */ }
      var detail = typeof refused.detail === "string" ? refused.detail : response.statusText;
      var fields = refused.fields && typeof refused.fields === "object" ? refused.fields : {};
      throw new ApiError(response.status, detail, fields);
    }
    return response.status === 204 ? null : response.json();
  }

  async function loadToken() {
    try {
      var inline = script.getAttribute("data-token");
      if (inline) return inline;
      var url = script.getAttribute("data-token-url");
      if (url) {
        var response = await fetch(url, { credentials: "include", headers: { Accept: "application/json" } });
        if (!response.ok) return null;
        var type = response.headers.get("content-type") || "";
        return type.indexOf("json") >= 0 ? (await response.json()).token : (await response.text()).trim();
      }
      if (typeof window.GuichetToken === "function") return await window.GuichetToken();
    } catch (e) {
      return null;
    }
    return null;
  }

  // -- language ---------------------------------------------------------------------------------

  function setLanguage(language, chosen) {
    if (LANGUAGES.indexOf(language) < 0) return;
    if (chosen) {
      state.chosenLanguage = language;
      storage.set("guichet.lang", language);
    }
    var changed = state.language !== language;
    state.language = language;
    applyTexts();
    if (changed && input.value.trim()) requestSuggestions(true);
  }

  function applyTexts() {
    panel.setAttribute("lang", state.language);
    launcher.setAttribute("lang", state.language);
    launcher.querySelector(".launcher-text").textContent = say("open");
    launcher.setAttribute("aria-label", say("open"));
    root.querySelector("#g-title").textContent = say("title");
    root.querySelector(".langs").setAttribute("aria-label", say("language"));
    root.querySelectorAll("[data-lang]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-lang") === state.language));
    });
    closeButton.setAttribute("aria-label", say("close"));
    root.querySelector("#g-input-label").textContent = say("search_label");
    input.placeholder = say("placeholder");
    listbox.setAttribute("aria-label", say("suggestions_label"));
    visitorNote.textContent = say("signed_out");
    log.setAttribute("aria-label", say("chat_label"));
    root.querySelector(".typing-text").textContent = say("typing");
    root.querySelector("#g-reply-label").textContent = say("reply_label");
    reply.placeholder = say("reply_placeholder");
    send.textContent = say("send");
    newConversation.textContent = say("new_conversation");
    updateCounter();
  }

  // -- panel ------------------------------------------------------------------------------------

  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    badge.hidden = true;
    session.set("guichet.open", "1");
    input.focus();
    if (state.user && !state.conversationId) {
      var stored = storage.get(conversationKey());
      if (stored) loadConversation(stored);
    }
  }

  function closePanel() {
    closeListbox();
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    session.set("guichet.open", null);
    launcher.focus();
  }

  // The open panel is a dialog: Tab and Shift+Tab cycle through its controls.
  function trapFocus(event) {
    var controls = Array.prototype.filter.call(
      panel.querySelectorAll("button, input, a[href], [tabindex]:not([tabindex='-1'])"),
      function (element) { return !element.disabled && element.getClientRects().length > 0; }
    );
    if (!controls.length) return;
    var first = controls[0];
    var last = controls[controls.length - 1];
    var current = root.activeElement;
    if (event.shiftKey && (current === first || controls.indexOf(current) < 0)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (current === last || controls.indexOf(current) < 0)) {
      event.preventDefault();
      first.focus();
    }
  }

  function showFailure(text) {
    failure.textContent = text || "";
    failure.hidden = !text;
  }

  // -- omnibox ----------------------------------------------------------------------------------

  function requestSuggestions(now) {
    clearTimeout(state.timer);
    state.timer = setTimeout(fetchSuggestions, now ? 0 : DEBOUNCE_MS);
  }

  async function fetchSuggestions() {
    var query = input.value;
    var sequence = ++state.sequence;
    if (state.inFlight) state.inFlight.abort();
    if (query.trim().length < MIN_CHARACTERS) {
      state.inFlight = null;
      renderSuggestions([], query);
      return;
    }
    var controller = new AbortController();
    state.inFlight = controller;
    // Only the beginning of a long text is searched (the server takes no more).
    var params = new URLSearchParams({
      q: query.slice(0, state.limits.search), lang: state.language, tz: browserZone() || ""
    });
    try {
      var found = await api("GET", "/widget/api/suggest?" + params, undefined, { signal: controller.signal });
      // An answer to an older query never replaces a newer one.
      if (sequence !== state.sequence) return;
      showFailure(null);
      renderSuggestions(found.suggestions, query, found.confident);
    } catch (error) {
      if (error.name === "AbortError" || sequence !== state.sequence) return;
      showFailure(problem(error));
    }
  }

  function sectionLabel(section, confident) {
    if (section === "incidents") return say("group_incident_notice");
    if (section === "maintenance") return say("group_maintenance_notice");
    if (section === "fallbacks") return say("group_create_ticket");
    return say(confident ? "group_answers" : "group_maybe");
  }

  function renderSuggestions(suggestions, query, confident) {
    state.suggestions = suggestions;
    state.query = query;
    state.active = -1;
    input.removeAttribute("aria-activedescendant");
    listbox.textContent = "";
    var sections = {};
    suggestions.forEach(function (suggestion, position) {
      var section = SECTION_OF[suggestion.type] || "entries";
      var groupElement = sections[section];
      if (!groupElement) {
        groupElement = document.createElement("div");
        groupElement.setAttribute("role", "group");
        groupElement.className = "group group-" + section;
        var label = document.createElement("div");
        label.id = "g-group-" + section;
        label.className = "group-label";
        label.setAttribute("role", "presentation");
        label.textContent = sectionLabel(section, confident);
        groupElement.setAttribute("aria-labelledby", label.id);
        groupElement.appendChild(label);
        listbox.appendChild(groupElement);
        sections[section] = groupElement;
      }
      var option = document.createElement("div");
      option.id = "g-option-" + position;
      option.className = "option type-" + suggestion.type;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-type", suggestion.type);
      option.setAttribute("data-position", String(position));
      var kind = BADGED[suggestion.type]
        ? '<span class="kind">' + escapeHtml(say("kind_" + suggestion.type)) + "</span>"
        : "";
      option.innerHTML = icon(suggestion.type) +
        '<span class="text"><span class="title">' + marked(suggestion.title_html) + "</span>" +
        '<span class="snippet">' + marked(suggestion.snippet) + "</span></span>" + kind;
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { choose(position); });
      var noticeId = /^notice-(\d+)$/.exec(suggestion.id || "");
      if (state.user && suggestion.type === "incident_notice" && noticeId) {
        option.appendChild(notifyButton(Number(noticeId[1])));
      }
      groupElement.appendChild(option);
    });
    var open = suggestions.length > 0;
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    if (query.trim().length >= MIN_CHARACTERS) {
      var n = suggestions.length;
      count.textContent = n === 0 ? say("count_none") : n === 1 ? say("count_one") : say("count_many", { count: n });
    } else {
      count.textContent = "";
    }
  }

  function closeListbox() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    state.active = -1;
  }

  function setActive(index) {
    var options = listbox.querySelectorAll("[role=option]");
    if (!options.length) return;
    if (listbox.hidden) {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    state.active = (index + options.length) % options.length;
    options.forEach(function (option, position) {
      option.setAttribute("aria-selected", String(position === state.active));
    });
    var current = options[state.active];
    input.setAttribute("aria-activedescendant", current.id);
    current.scrollIntoView({ block: "nearest" });
  }

  // The suggestion of the highlighted row (rows are in the server's order, sections and all).
  function activePosition() {
    var options = listbox.querySelectorAll("[role=option]");
    return Number(options[state.active].getAttribute("data-position"));
  }

  function onKeyDown(event) {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setActive(state.active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setActive(state.active < 0 ? -1 : state.active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (state.active >= 0 && !listbox.hidden) choose(activePosition());
      else if (input.value.trim()) submitText(input.value.trim());
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!listbox.hidden) closeListbox();
      else if (input.value) { input.value = ""; renderSuggestions([], ""); }
      else closePanel();
    } else if (event.key === "Tab") {
      closeListbox();
    }
  }

  // Enter on typed text: signed in, it is a chat message; a visitor gets the best suggestion.
  function submitText(text) {
    if (state.user && text.length > state.limits.message) {
      clearOmnibox();
      keepForEditing(text); // nothing is sent: the user shortens it in the reply box
    } else if (state.user) {
      clearOmnibox();
      sendToChat(text, text); // shows the chat panel at once
      reply.focus(); // the answer is read out by the log; the reply goes here
    } else if (state.suggestions.length) {
      choose(0);
    }
  }

  function clearOmnibox() {
    input.value = "";
    state.sequence++;
    if (state.inFlight) state.inFlight.abort();
    renderSuggestions([], "");
  }

  // "Notify me" on an incident notice: its updates and its end come to the user, once each.
  function notifyButton(noticeId) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "notify";
    button.textContent = say("notify_me");
    button.title = say("notify_me_label");
    button.setAttribute("aria-label", say("notify_me_label"));
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function (event) {
      event.stopPropagation();
      button.disabled = true;
      api("POST", "/widget/api/notices/" + noticeId + "/subscribe", { language: state.language })
        .then(function () {
          button.textContent = say("notified");
          button.classList.add("done");
        })
        .catch(function (error) {
          button.disabled = false;
          showFailure(problem(error, say("error")));
        });
    });
    return button;
  }

  function choose(position) {
    var suggestion = state.suggestions[position];
    if (!suggestion) return;
    api("POST", "/widget/api/suggest/clicks", {
      query: state.query.slice(0, 1000),
      language: state.language,
      group: suggestion.group || suggestion.id,
      type: suggestion.type,
      position: position
    }).catch(function () { /* a lost click only costs a little ranking */ });
    var url = suggestion.url ? resolveUrl(suggestion.url) : null;
    if (state.user && suggestion.action && !KNOWLEDGE[suggestion.type]) {
      clearOmnibox();
      sendToChat(suggestion.action, suggestion.title);
      reply.focus();
    } else if (url) {
      var opened = new URL(url);
      if (KNOWLEDGE[suggestion.type] && opened.origin === new URL(base).origin) {
        // The article's "was this helpful?" is about what was searched.
        opened.searchParams.set("q", state.query.trim().slice(0, state.limits.search));
      }
      window.location.assign(opened.href);
    }
  }

  // -- chat -------------------------------------------------------------------------------------

  async function loadConversation(conversationId) {
    try {
      var conversation = await api("GET", "/widget/api/conversations/" + encodeURIComponent(conversationId));
      showConversation(conversation);
    } catch (error) {
      if (error.status === 403 || error.status === 404) storage.set(conversationKey(), null);
      else showFailure(say("error"));
    }
  }

  function showConversation(conversation) {
    state.conversationId = conversation.id;
    storage.set(conversationKey(), conversation.id);
    log.textContent = "";
    var previous = null;
    conversation.transcript.forEach(function (turn) {
      if (turn.role === "user") {
        retireButtons(); // what the user said next made the earlier buttons history
        var label = turn.text;
        if (label.charAt(0) === "/") {
          // A pressed button or a chosen suggestion: show what the user saw, not the payload.
          var button = previous && previous.buttons.filter(function (b) { return b.payload === turn.text; })[0];
          label = button ? button.title : labels()[turn.text] || null;
        }
        if (label) addMessage("user", label);
      } else {
        addMessage(turn.role, turn.text, turn.buttons, turn.links, turn.sender);
        previous = turn;
      }
    });
    chat.hidden = false;
  }

  // One conversation however many messages are sent before it exists.
  function ensureConversation() {
    if (state.conversationId) return Promise.resolve(state.conversationId);
    if (!state.starting) {
      state.starting = (async function () {
        var stored = storage.get(conversationKey());
        if (stored) await loadConversation(stored);
        if (!state.conversationId) {
          showConversation(await api("POST", "/widget/api/conversations", { language: state.language }));
        }
        return state.conversationId;
      })().finally(function () { state.starting = null; });
    }
    return state.starting;
  }

  // What the user saw of a payload sent from a suggestion (there is no button to look it up in).
  function labels() {
    try { return JSON.parse(storage.get("guichet.labels:" + state.user) || "{}"); } catch (e) { return {}; }
  }

  function rememberLabel(payload, label) {
    var known = labels();
    delete known[payload];
    known[payload] = label;
    var keys = Object.keys(known);
    keys.slice(0, Math.max(0, keys.length - 50)).forEach(function (key) { delete known[key]; });
    storage.set("guichet.labels:" + state.user, JSON.stringify(known));
  }

  // The browser's time zone, so the bot's times are the user's (bot/kernel/formats.py).
  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
    } catch (error) {
      return undefined;
    }
  }

  async function sendToChat(text, label) {
    chat.hidden = false;
    if (text.length > state.limits.message) {
      keepForEditing(text);
      return;
    }
    if (text.charAt(0) === "/" && label) rememberLabel(text, label);
    showFailure(null);
    retireButtons();
    var sent = null;
    try {
      var conversationId = await ensureConversation();
      sent = addMessage("user", label || text);
      typing.hidden = false;
      log.scrollTop = log.scrollHeight;
      var answer = await api(
        "POST",
        "/widget/api/conversations/" + encodeURIComponent(conversationId) + "/messages",
        { text: text, language: state.language, timezone: browserZone() }
      );
      showReplies(answer.replies);
    } catch (error) {
      showFailure(problem(error, text));
      if (sent) markNotSent(sent);
      if (text.charAt(0) !== "/" && !reply.value) keepForEditing(text, true);
    } finally {
      typing.hidden = true;
    }
  }

  // A text that was not sent goes back into the reply box, with why it cannot go as it is.
  function keepForEditing(text, quiet) {
    chat.hidden = false;
    reply.value = text;
    updateCounter();
    if (!quiet && text.length > state.limits.message) showFailure(tooLong(text.length));
    reply.focus();
  }

  function markNotSent(message) {
    message.classList.add("unsent");
    var note = document.createElement("span");
    note.className = "unsent-note";
    note.textContent = say("not_sent");
    message.appendChild(note);
  }

  // Near the limit a counter shows; past it, Send is disabled and the counter says why.
  function updateCounter() {
    var length = reply.value.length;
    var limit = state.limits.message;
    var over = length > limit;
    counter.hidden = length < limit * 0.9;
    counter.classList.toggle("over", over);
    counter.textContent = over
      ? tooLong(length)
      : say("counter", { length: number(length), limit: number(limit) });
    send.disabled = over;
    reply.setAttribute("aria-invalid", String(over));
  }

  // Buttons answer the message they came with: once the conversation has moved on they are
  // shown disabled, so an old "Yes" cannot be taken for an answer to something else.
  function retireButtons() {
    log.querySelectorAll(".buttons button:not([aria-disabled='true'])").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-disabled", "true");
    });
  }

  function showReplies(replies) {
    retireButtons();
    replies.forEach(function (r) {
      addMessage(r.sender ? "agent" : "bot", r.text, r.buttons, r.links, r.sender);
    });
  }

  function addMessage(role, text, buttons, links, sender) {
    var message = document.createElement("div");
    message.className = "message " + role;
    var who = document.createElement("span");
    var name = role === "user" ? say("you") : role === "agent" && sender ? sender : say(role);
    if (role === "agent") {
      // An agent writes here: their name shows, and the bubble is theirs, not Guichet's.
      who.className = "author";
      who.textContent = sender ? say("agent_named", { name: sender }) : say("agent");
      message.appendChild(who);
    } else {
      who.className = "sr-only";
      who.textContent = say("said_by", { who: name }) + " ";
    }
    var body = document.createElement("div");
    body.className = "bubble";
    if (role !== "agent") body.appendChild(who);
    if (role === "user" || !window.GuichetMarkdown) body.appendChild(document.createTextNode(text));
    else body.appendChild(window.GuichetMarkdown.render(text, resolveUrl, isExternal));
    message.appendChild(body);
    (links || []).forEach(function (link) {
      var url = resolveUrl(link.url);
      if (!url) return;
      var a = document.createElement("a");
      a.href = url;
      a.textContent = link.title;
      a.className = "link";
      if (isExternal(url)) {
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      }
      message.appendChild(a);
    });
    if (buttons && buttons.length) {
      var row = document.createElement("div");
      row.className = "buttons";
      buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () {
          if (button.getAttribute("aria-disabled") === "true") return;
          button.classList.add("chosen");
          sendToChat(b.payload, b.title);
        });
        row.appendChild(button);
      });
      message.appendChild(row);
    }
    log.appendChild(message);
    log.scrollTop = log.scrollHeight;
    return message;
  }

  // -- pushed messages (server-sent events read with fetch, so the token goes in a header) ------

  async function listen() {
    if (!state.user) return;
    var controller = new AbortController();
    state.stream = controller;
    var headers = { Accept: "text/event-stream", Authorization: "Bearer " + state.token };
    if (state.cursor) headers["Last-Event-ID"] = state.cursor;
    try {
      var response = await fetch(base + "/widget/api/events", {
        headers: headers, signal: controller.signal, credentials: "omit"
      });
      if (response.status === 401) state.token = await loadToken();
      if (!response.ok || !response.body) throw new Error("events: " + response.status);
      state.streamDelay = 500;
      var reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      var buffer = "";
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer += chunk.value.replace(/\r\n?/g, "\n");
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          onEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      state.streamDelay = Math.min(state.streamDelay * 2, 30000);
      setTimeout(listen, state.streamDelay);
      return;
    }
    // The server ends each stream after a while: reconnect at once from the last id.
    if (!controller.signal.aborted && state.token) setTimeout(listen, 0);
  }

  function onEvent(block) {
    var event = { type: "message", data: "", id: null };
    block.split("\n").forEach(function (line) {
      if (!line || line.charAt(0) === ":") return;
      var colon = line.indexOf(":");
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event.type = value;
      else if (field === "data") event.data += value;
      else if (field === "id") event.id = value;
    });
    if (event.id) state.cursor = event.id;
    if (event.type === "resync" && state.conversationId) {
      loadConversation(state.conversationId);
    } else if (event.type === "expired") {
      loadToken().then(function (token) { state.token = token; });
    } else if (event.type === "message" && event.data) {
      var pushed = JSON.parse(event.data);
      if (!state.conversationId && pushed.conversation_id) {
        state.conversationId = pushed.conversation_id;
        storage.set(conversationKey(), pushed.conversation_id);
      }
      chat.hidden = false;
      showReplies(pushed.replies);
      if (panel.hidden) badge.hidden = false;
    }
  }

  // -- start ------------------------------------------------------------------------------------

  function loadScript(src) {
    return new Promise(function (resolve) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = tag.onerror = function () { resolve(); }; // without it, replies show as text
      document.head.appendChild(tag);
    });
  }

  async function start() {
    state.token = await loadToken();
    var who;
    try {
      who = await api("GET", "/widget/api/session");
    } catch (error) {
      return; // Guichet is down: no button rather than a broken one
    }
    if (who.reason && window.console) console.warn("Guichet: " + who.reason);
    state.user = who.user;
    state.texts = who.texts;
    if (who.limits) state.limits = who.limits;
    await loadScript(base + "/widget/guichet-markdown.js");
    if (!state.user) state.token = null;
    state.language = state.chosenLanguage || pageLanguage() || "en";
    applyTexts();
    visitorNote.hidden = Boolean(state.user);
    (document.body || document.documentElement).appendChild(host);
    host.hidden = false;
    if (state.user) {
      var stored = storage.get(conversationKey());
      if (stored) {
        try {
          var conversation = await api("GET", "/widget/api/conversations/" + encodeURIComponent(stored));
          showConversation(conversation);
          state.cursor = conversation.cursor;
        } catch (error) {
          storage.set(conversationKey(), null);
        }
      }
      listen();
    }
    if (session.get("guichet.open")) openPanel();
    window.Guichet.ready = true;
    host.dispatchEvent(new CustomEvent("guichet:ready", { bubbles: true, composed: true }));
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) openPanel(); else closePanel();
  });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target !== input) closePanel();
    else if (event.key === "Tab" && !event.defaultPrevented) trapFocus(event);
  });
  root.querySelectorAll("[data-lang]").forEach(function (button) {
    button.addEventListener("click", function () { setLanguage(button.getAttribute("data-lang"), true); });
  });
  input.addEventListener("input", function () { requestSuggestions(false); });
  input.addEventListener("keydown", onKeyDown);
  input.addEventListener("blur", function () { setTimeout(closeListbox, 150); });
  input.addEventListener("focus", function () {
    if (state.suggestions.length) {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  });
  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = reply.value.trim();
    if (!text || text.length > state.limits.message) return;
    reply.value = "";
    updateCounter();
    sendToChat(text, text);
  });
  reply.addEventListener("input", updateCounter);
  newConversation.addEventListener("click", async function () {
    state.conversationId = null;
    storage.set(conversationKey(), null);
    log.textContent = "";
    try {
      showConversation(await api("POST", "/widget/api/conversations", { language: state.language }));
    } catch (error) {
      showFailure(say("error"));
    }
    input.focus();
  });
  new MutationObserver(function () {
    var page = pageLanguage();
    if (!state.chosenLanguage && page && state.texts) setLanguage(page, false);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

  window.Guichet = { open: openPanel, close: closePanel, ready: false };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
