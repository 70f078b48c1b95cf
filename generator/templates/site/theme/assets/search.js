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
  const form = input.form;
  const FILTERS = [["section", "Section"], ["service", "Service"], ["severity", "Severity"], ["kind", "Kind"], ["year", "Year"], ["tag", "Tag"]];
  const HINT = "Type to search every post-mortem, runbook, lesson and guide page";
  const PAGE = 10; // results rendered at a time
  const INCIDENT_ID = /^INC-\d{4}-\d{3,}$/i;
  const RESULTS_ID = "ikb-search-results";
  const SVG = "http://www.w3.org/2000/svg";
  const CLOSE_ICON = "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z"; // material/close

  // The site's root, from Material's page configuration (its "base" is relative to this page).
  const config = JSON.parse(document.getElementById("__config")?.textContent || "{}");
  const siteRoot = new URL((config.base || ".") + "/", location.href);

  let engine = null; // the Pagefind module, once loaded
  let ui = null; // the parts built on first use: { list, status, more, selects }
  let filtersShown = false;
  let latest = 0; // the newest search: an older one that finishes later is dropped
  let searching = null; // the search the engine is running: one at a time (see searchWhenFree)
  let pending = []; // the results not rendered yet

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

  function make(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function icon(path) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.appendChild(document.createElementNS(SVG, "path")).setAttribute("d", path);
    return svg;
  }

  // The clear button, the filters and the result list, with Material's classes: the same on every page, so they
  // are made here, once the search is first used, rather than sent in each page.
  function build() {
    if (ui) return ui;
    const label = root.getAttribute("aria-label") || "Search";
    const clear = root.dataset.ikbReset || "Clear";
    form.append(
      make("nav", { class: "md-search__options", "aria-label": label },
        make("button", { type: "reset", class: "md-search__icon md-icon", title: clear, "aria-label": clear, tabindex: "-1" }, icon(CLOSE_ICON))),
    );
    const selects = FILTERS.map(([name, title]) => {
      const select = make("select", { "data-ikb-filter": name, "aria-label": `Filter by ${title.toLowerCase()}` }, make("option", { value: "" }, "any"));
      select.addEventListener("focus", () => { pagefind().then(showFilters); });
      select.addEventListener("change", run);
      return select;
    });
    const status = make("div", { class: "md-search-result__meta", role: "status", "aria-live": "polite", "data-ikb-search-status": "" }, HINT);
    const list = make("ol", { class: "md-search-result__list", role: "list", "data-ikb-search-list": "" });
    const more = make("button", { type: "button", class: "md-button ikb-search__more", "data-ikb-search-more": "", hidden: "" }, "More results");
    more.addEventListener("click", () => renderMore(latest, null));
    const scrollwrap = make("div", { class: "md-search__scrollwrap", tabindex: "0" },
      make("fieldset", { class: "ikb-search__filters" },
        make("legend", { class: "ikb-search__legend" }, "Filters"),
        ...selects.map((select, i) => make("label", { class: "ikb-search__filter" }, FILTERS[i][1], select))),
      make("div", { class: "md-search-result", id: RESULTS_ID }, status, list, more));
    scrollwrap.addEventListener("touchstart", () => nudge(scrollwrap), { passive: true });
    root.querySelector(".md-search__inner").append(make("div", { class: "md-search__output" }, scrollwrap));
    input.setAttribute("aria-controls", RESULTS_ID);
    ui = { list, status, more, selects };
    return ui;
  }

  // Material's scroll fix for iOS, which it applies only to what the page had when it loaded: a scrolling panel
  // kept off its very top and bottom scrolls itself instead of the page behind it.
  function nudge(panel) {
    if (panel.scrollTop === 0) panel.scrollTop = 1;
    else if (panel.scrollTop + panel.offsetHeight === panel.scrollHeight) panel.scrollTop -= 1;
  }

  function open() {
    build();
    if (toggle && !toggle.checked) toggle.checked = true;
    pagefind(); // start loading while the reader types
  }

  function close() {
    if (toggle) toggle.checked = false;
    input.blur();
  }

  function chosenFilters() {
    const chosen = {};
    for (const select of ui.selects) if (select.value) chosen[select.dataset.ikbFilter] = select.value;
    return chosen;
  }

  // One search at a time: a common word on a large site keeps the engine busy for a while, and queueing a search
  // per keystroke behind it would make the last one, the one the reader wants, wait for all the others. A search
  // waits for the one running, and is dropped if the reader typed again meanwhile: only the newest runs next.
  async function searchWhenFree(module, ticket, query, filters) {
    while (searching) {
      await searching.catch(() => {});
      if (ticket !== latest) return null;
    }
    searching = module.search(query, { filters });
    try {
      return await searching;
    } finally {
      searching = null;
    }
  }

  async function run() {
    const { list, status, more } = build();
    const ticket = ++latest;
    const term = input.value.trim();
    const filters = chosenFilters();
    if (!term && !Object.keys(filters).length) {
      list.replaceChildren();
      more.hidden = true;
      delete status.dataset.ikbSearchTerm;
      status.textContent = HINT;
      return;
    }
    const module = await pagefind();
    const found = await searchWhenFree(module, ticket, term || null, filters);
    if (!found || ticket !== latest) return;
    pending = [...found.results];
    list.replaceChildren();
    const shown = await renderMore(ticket, INCIDENT_ID.test(term) ? term.toUpperCase() : null);
    if (ticket !== latest) return;
    const count = found.results.length;
    status.dataset.ikbSearchTerm = term; // what the list shows the results of: the reader may have typed on since
    status.textContent = count === 0 ? "No matching documents" : count === 1 ? "1 matching document" : `${count} matching documents`;
    if (shown) showFilters(module);
  }

  // The next page of results, each shown as soon as its fragment is in (and those before it). For an incident id,
  // that incident's own post-mortem comes first, so that page waits for all of its fragments.
  async function renderMore(ticket, incidentId) {
    const { list, more } = ui;
    const batch = pending.splice(0, PAGE);
    more.hidden = pending.length === 0;
    if (incidentId) {
      const data = await Promise.all(batch.map((result) => result.data()));
      if (ticket !== latest) return false;
      const own = data.findIndex((d) => d.meta && d.meta.id === incidentId);
      if (own > 0) data.unshift(...data.splice(own, 1));
      for (const d of data) list.append(resultItem(d));
    } else {
      for (const next of batch.map((result) => result.data())) {
        const d = await next;
        if (ticket !== latest) return false;
        list.append(resultItem(d));
      }
    }
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
    for (const select of ui.selects) {
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
    const links = ui ? [...ui.list.querySelectorAll("a")] : [];
    if (!links.length) return;
    const at = links.indexOf(document.activeElement);
    const next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.max(-1, Math.min(links.length - 1, at + step));
    (next < 0 ? input : links[next]).focus();
  }

  // The engine (pagefind.js, its worker and WebAssembly, and the index's metadata: about 250 KB, cached after the
  // first page) loads as soon as the page has, or at once when the reader reaches for the search: the first
  // results then wait only for their words' chunks. Not when the browser is next idle: on a busy machine that
  // came after a reader who types right away had typed (benchmarks/bench_search.py, "before typing").
  if (document.readyState === "complete") pagefind();
  else window.addEventListener("load", () => pagefind(), { once: true });
  for (const intent of [input, document.querySelector("label.md-header__button[for=__search]")]) {
    intent?.addEventListener("pointerenter", pagefind, { once: true });
    intent?.addEventListener("touchstart", pagefind, { once: true, passive: true });
  }
  input.addEventListener("focus", open);
  input.addEventListener("input", run);
  form.addEventListener("reset", () => setTimeout(() => { run(); input.focus(); }));
  // Enter searches in place: the form is never sent (no action attribute, so no javascript: URL in the page).
  form.addEventListener("submit", (event) => event.preventDefault());
  toggle?.addEventListener("change", () => { if (toggle.checked) { build(); setTimeout(() => input.focus(), 250); } });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === "ArrowDown") { event.preventDefault(); focusResult(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); focusResult(-1); }
  });
  // "/", "s" or "f" anywhere (outside a form field) opens the search, as in Material.
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
