// The header's search with Pagefind (generator/search_index.py; the box is theme/pagefind/partials/search.html).
// Pagefind fetches only the index chunks of the words typed and the fragments of the results shown. Record text
// is untrusted: titles (raw text in Pagefind's data) are set as text; an excerpt is HTML with <mark>s, whose text
// Pagefind escaped, and only its text and <mark>s are copied, from a parse in an inert document (DOMParser's
// documents run no script and load nothing).
(() => {
  "use strict";
  const root = document.querySelector("[data-ikb-search]");
  if (!root) return;
  const toggle = document.getElementById("__search");
  const input = root.querySelector("[data-ikb-search-query]");
  const list = root.querySelector("[data-ikb-search-list]");
  const status = root.querySelector("[data-ikb-search-status]");
  const more = root.querySelector("[data-ikb-search-more]");
  const FILTERS = [["section", "Section"], ["service", "Service"], ["severity", "Severity"], ["kind", "Kind"], ["year", "Year"], ["tag", "Tag"]];
  const fieldset = root.querySelector("[data-ikb-search-filters]");
  const selects = FILTERS.map(([name, title]) => {
    const label = fieldset.appendChild(document.createElement("label"));
    label.className = "ikb-search__filter";
    label.append(title);
    const select = label.appendChild(document.createElement("select"));
    select.dataset.ikbFilter = name;
    select.setAttribute("aria-label", `Filter by ${title.toLowerCase()}`);
    select.appendChild(document.createElement("option")).textContent = "any";
    select.options[0].value = "";
    return select;
  });
  const PAGE = 10; // results rendered at a time
  const INCIDENT_ID = /^INC-\d{4}-\d{3,}$/i;

  // The site's root, from Material's page configuration (its "base" is relative to this page).
  const config = JSON.parse(document.getElementById("__config")?.textContent || "{}");
  const siteRoot = new URL((config.base || ".") + "/", location.href);

  let engine = null; // the Pagefind module, once loaded
  let filtersShown = false;
  let latest = 0; // the newest search: an older one that finishes later is dropped
  let pending = []; // the results not rendered yet
  let term = "";

  function pagefind() {
    engine ??= import(new URL("pagefind/pagefind.js", siteRoot).href).then(async (module) => {
      // pageLength: less of Pagefind's preference for short pages, which put a tag's list of incidents (a few
      // lines) above the post-mortems it lists.
      await module.options({ baseUrl: siteRoot.pathname, excerptLength: 24, ranking: { pageLength: 0.3 } });
      module.init();
      return module;
    });
    return engine;
  }

  function open() {
    if (toggle && !toggle.checked) toggle.checked = true;
    pagefind(); // start loading while the reader types
  }

  function close() {
    if (toggle) toggle.checked = false;
    input.blur();
  }

  function chosenFilters() {
    const chosen = {};
    for (const select of selects) if (select.value) chosen[select.dataset.ikbFilter] = select.value;
    return chosen;
  }

  async function run() {
    const ticket = ++latest;
    term = input.value.trim();
    const filters = chosenFilters();
    if (!term && !Object.keys(filters).length) {
      list.replaceChildren();
      more.hidden = true;
      status.textContent = "Type to search every post-mortem, runbook, lesson and guide page";
      return;
    }
    const module = await pagefind();
    const found = await module.search(term || null, { filters });
    if (ticket !== latest) return;
    pending = [...found.results];
    list.replaceChildren();
    const shown = await renderMore(ticket, INCIDENT_ID.test(term) ? term.toUpperCase() : null);
    if (ticket !== latest) return;
    const count = found.results.length;
    status.textContent = count === 0 ? "No matching documents" : count === 1 ? "1 matching document" : `${count} matching documents`;
    if (shown) showFilters(module);
  }

  // The next page of results, each shown as soon as its fragment is in; for an incident id, that incident's own
  // post-mortem first (so that page waits for all of them).
  async function renderMore(ticket, incidentId) {
    const batch = pending.splice(0, PAGE).map((result) => result.data());
    if (incidentId) {
      const data = await Promise.all(batch);
      if (ticket !== latest) return false;
      const own = data.findIndex((d) => d.meta && d.meta.id === incidentId);
      if (own > 0) data.unshift(...data.splice(own, 1));
      for (const d of data) list.append(resultItem(d));
    } else {
      for (const next of batch) {
        const d = await next;
        if (ticket !== latest) return false;
        list.append(resultItem(d));
      }
    }
    more.hidden = pending.length === 0;
    return batch.length > 0;
  }

  function sameSite(url) {
    const target = new URL(url, siteRoot);
    return target.origin === location.origin ? target.href : siteRoot.href;
  }

  // Text of Pagefind's excerpt (HTML with <mark>s), with only the <mark>s kept.
  function marked(html) {
    const parsed = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
    const copy = (from, to) => {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) to.append(node.textContent);
        else if (node.nodeType === Node.ELEMENT_NODE) {
          if (node.localName === "mark") copy(node, to.appendChild(document.createElement("mark")));
          else copy(node, to);
        }
      }
      return to;
    };
    return copy(parsed.body, document.createDocumentFragment());
  }

  function resultItem(d) {
    const item = document.createElement("li");
    item.className = "md-search-result__item";
    const title = d.meta && d.meta.title;  // the page's own heading is the result itself, not one of its sections
    item.append(link(d.url, title || d.url, d.excerpt, "h1", "md-search-result__article--document"));
    const sections = (d.sub_results || []).filter((s) => s.url.includes("#") && s.title !== title).slice(0, 3);
    for (const s of sections) item.append(link(s.url, s.title, s.excerpt, "h2", ""));
    return item;
  }

  function link(url, title, excerpt, level, kind) {
    const a = document.createElement("a");
    a.className = "md-search-result__link";
    a.href = sameSite(url);
    const article = a.appendChild(document.createElement("article"));
    article.className = `md-search-result__article md-typeset ${kind}`.trim();
    article.appendChild(document.createElement(level)).textContent = title;
    if (excerpt) article.appendChild(document.createElement("p")).append(marked(excerpt));
    return a;
  }

  // The filter lists, filled once from the index (after the first results, so they do not delay them).
  async function showFilters(module) {
    if (filtersShown) return;
    filtersShown = true;
    const all = await module.filters();
    for (const select of selects) {
      const counts = all[select.dataset.ikbFilter] || {};
      const values = Object.keys(counts).sort((a, b) => (select.dataset.ikbFilter === "year" ? b.localeCompare(a) : a.localeCompare(b)));
      for (const value of values) {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = `${value} (${counts[value]})`;
        select.append(option);
      }
      select.closest("label").hidden = values.length === 0;
    }
  }

  function focusResult(step) {
    const links = [...list.querySelectorAll("a")];
    if (!links.length) return;
    const at = links.indexOf(document.activeElement);
    const next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.max(-1, Math.min(links.length - 1, at + step));
    (next < 0 ? input : links[next]).focus();
  }

  // The engine (about 200 KB, cached after the first page) loads once the page has, while the browser is idle, or
  // at once when the reader reaches for the search: the first results then wait only for their words' chunks.
  const idle = window.requestIdleCallback || ((task) => setTimeout(task, 200));
  if (document.readyState === "complete") idle(() => pagefind(), { timeout: 2000 });
  else window.addEventListener("load", () => idle(() => pagefind(), { timeout: 2000 }), { once: true });
  for (const intent of [input, document.querySelector("label.md-header__button[for=__search]")]) {
    intent?.addEventListener("pointerenter", pagefind, { once: true });
    intent?.addEventListener("touchstart", pagefind, { once: true, passive: true });
  }
  input.addEventListener("focus", open);
  input.addEventListener("input", run);
  const form = root.querySelector("form");
  form.addEventListener("reset", () => setTimeout(() => { run(); input.focus(); }));
  // Enter searches in place: the form is never sent (no action attribute, so no javascript: URL in the page).
  form.addEventListener("submit", (event) => event.preventDefault());
  toggle?.addEventListener("change", () => { if (toggle.checked) { pagefind(); setTimeout(() => input.focus(), 250); } });
  for (const select of selects) {
    select.addEventListener("focus", () => { pagefind().then(showFilters); });
    select.addEventListener("change", run);
  }
  more.addEventListener("click", () => renderMore(latest, null));
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === "ArrowDown") { event.preventDefault(); focusResult(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); focusResult(-1); }
  });
  // "/" or "s" anywhere (outside a form field) opens the search, as in Material.
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input, select, textarea, [contenteditable]");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/" || event.key === "s" || event.key === "f") {
      event.preventDefault();
      open();
      input.focus();
    }
  });
})();
