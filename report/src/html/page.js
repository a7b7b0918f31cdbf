// cow report: sorting and filtering of the episode table (no libraries).
"use strict";
(function () {
  const table = document.getElementById("episodes");
  if (!table) {
    return;
  }
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const words = new Map(rows.map((r) => [r, r.textContent.toLowerCase()]));
  const filter = document.getElementById("filter");
  const outcome = document.getElementById("outcome");
  const count = document.getElementById("count");
  const headers = Array.from(table.tHead.rows[0].cells);

  // The value a row sorts by in a column: a number (null when missing) or text.
  function key(row, col, numeric) {
    const cell = row.cells[col];
    if (numeric) {
      const v = cell.dataset.v;
      return v === undefined || v === "" ? null : Number(v);
    }
    return cell.textContent.toLowerCase();
  }

  // Sorts by a header's column: ascending first, descending on the next
  // click; missing values last; ties keep their order.
  function sortBy(th) {
    const col = Number(th.dataset.col);
    const numeric = th.dataset.type === "num";
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    for (const h of headers) {
      h.setAttribute("aria-sort", "none");
    }
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const keyed = Array.from(body.rows).map((r, i) => [key(r, col, numeric), i, r]);
    keyed.sort((a, b) => {
      if (a[0] === null || b[0] === null) {
        return a[0] === b[0] ? a[1] - b[1] : a[0] === null ? 1 : -1;
      }
      let c = numeric ? a[0] - b[0] : a[0].localeCompare(b[0], undefined, { numeric: true });
      if (!ascending) {
        c = -c;
      }
      return c || a[1] - b[1];
    });
    const fragment = document.createDocumentFragment();
    for (const k of keyed) {
      fragment.appendChild(k[2]);
    }
    body.appendChild(fragment);
  }

  // Shows the rows holding every word of the filter and the chosen outcome.
  function applyFilter() {
    const terms = filter.value.toLowerCase().split(/\s+/).filter((t) => t.length > 0);
    const wanted = outcome.value;
    let shown = 0;
    for (const r of rows) {
      const text = words.get(r);
      const ok = terms.every((t) => text.includes(t)) && (wanted === "" || r.dataset.outcome === wanted);
      r.hidden = !ok;
      if (ok) {
        shown += 1;
      }
    }
    count.textContent = shown + " of " + rows.length + " episodes";
  }

  for (const th of headers) {
    th.addEventListener("click", () => sortBy(th));
    th.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        sortBy(th);
      }
    });
  }
  filter.addEventListener("input", applyFilter);
  outcome.addEventListener("change", applyFilter);
  applyFilter();
})();
