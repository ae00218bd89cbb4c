/*
 * The Markdown Guichet's replies use, as DOM nodes: paragraphs and line breaks, "- " and "1. "
 * lists, **bold**, *italics* or _italics_, `inline code` and [links](https://...). Loaded by
 * guichet.js next to it. Nothing here parses HTML: every piece of text becomes a text node,
 * so a reply can never inject markup; a link keeps only an http(s) address (or a path on
 * Guichet) that `resolveUrl` accepts, else it stays text.
 */
(function () {
  "use strict";

  var LIST_ITEM = /^\s*(?:([-*•])|(\d+)[.)])\s+(.*)$/;
  // One inline element at a time, leftmost first: code, bold, link, then italics (a "_" inside
  // a word, as in file_name, is not italics).
  var INLINE = new RegExp(
    "`([^`\\n]+)`" +
    "|\\*\\*(?=\\S)([\\s\\S]*?\\S)\\*\\*" +
    "|\\[([^\\]\\n]+)\\]\\(([^)\\s]+)\\)" +
    "|\\*(?=[^\\s*])([^*\\n]*?[^\\s*])\\*" +
    "|(?<![\\w])_(?=\\S)([^_\\n]*?\\S)_(?![\\w])"
  );

  function inline(parent, text, resolveUrl, external) {
    var rest = text;
    while (rest) {
      var found = INLINE.exec(rest);
      if (!found) {
        parent.appendChild(document.createTextNode(rest));
        return;
      }
      if (found.index > 0) parent.appendChild(document.createTextNode(rest.slice(0, found.index)));
      var node;
      if (found[1] !== undefined) {
        node = document.createElement("code");
        node.textContent = found[1];
      } else if (found[2] !== undefined) {
        node = document.createElement("strong");
        inline(node, found[2], resolveUrl, external);
      } else if (found[3] !== undefined) {
        var url = resolveUrl(found[4]);
        if (url) {
          node = document.createElement("a");
          node.href = url;
          if (external(url)) {
            node.target = "_blank";
            node.rel = "noopener noreferrer";
          }
          inline(node, found[3], resolveUrl, external);
        } else {
          node = document.createTextNode(found[3]);
        }
      } else {
        node = document.createElement("em");
        inline(node, found[5] !== undefined ? found[5] : found[6], resolveUrl, external);
      }
      parent.appendChild(node);
      rest = rest.slice(found.index + found[0].length);
    }
  }

  /* `text` as a fragment of <p>, <ul>/<ol> and inline elements. */
  function render(text, resolveUrl, external) {
    var fragment = document.createDocumentFragment();
    var paragraph = null;
    var list = null;
    String(text || "").split(/\r?\n/).forEach(function (line) {
      var item = LIST_ITEM.exec(line);
      if (item) {
        var kind = item[2] ? "ol" : "ul";
        if (!list || list.tagName.toLowerCase() !== kind) {
          list = document.createElement(kind);
          if (item[2] && item[2] !== "1") list.start = Number(item[2]);
          fragment.appendChild(list);
        }
        var li = document.createElement("li");
        inline(li, item[3], resolveUrl, external);
        list.appendChild(li);
        paragraph = null;
        return;
      }
      list = null;
      if (!line.trim()) {
        paragraph = null;
        return;
      }
      if (paragraph) paragraph.appendChild(document.createElement("br"));
      else {
        paragraph = document.createElement("p");
        fragment.appendChild(paragraph);
      }
      inline(paragraph, line, resolveUrl, external);
    });
    return fragment;
  }

  window.GuichetMarkdown = { render: render };
})();
