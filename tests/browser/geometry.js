// Injected into a copy of a `tristate compare --html` page (the page itself has no script) and
// run by headless Chromium after layout: measures what Chromium really drew and writes one
// line per finding into a pre element with the id "geometry", which --dump-dom then prints.
//   CLIP     an SVG text whose box (getBBox) leaves its picture's viewBox, or whose rendered box
//            (getBoundingClientRect) leaves the <svg> element's
//   OVERLAP  two SVG texts of one picture whose boxes intersect (titles, node names, labels)
//   LINK     an in-page link whose target id does not exist
//   HIDDEN   a step's output span that takes no room on the page
//   COUNT    what was measured, for the test's log
(function () {
  const out = [];
  const eps = 0.5;
  const r4 = (b) => [b.x, b.y, b.width, b.height].map((v) => Math.round(v)).join(",");
  let texts = 0, pairs = 0;
  document.querySelectorAll("svg.state-diagram").forEach((svg, k) => {
    const vb = svg.viewBox.baseVal;
    const screen = svg.getBoundingClientRect();
    const items = Array.from(svg.querySelectorAll("text")).map((t) => ({
      name: t.textContent, box: t.getBBox(), rect: t.getBoundingClientRect() }));
    texts += items.length;
    for (const it of items) {
      const b = it.box, r = it.rect;
      if (b.width <= 0 || b.height <= 0) out.push(`HIDDEN svg${k} text "${it.name}" has no box`);
      if (b.x < vb.x - eps || b.y < vb.y - eps || b.x + b.width > vb.x + vb.width + eps ||
          b.y + b.height > vb.y + vb.height + eps)
        out.push(`CLIP svg${k} "${it.name}" box ${r4(b)} outside viewBox ${r4(vb)}`);
      if (r.left < screen.left - eps || r.top < screen.top - eps ||
          r.right > screen.right + eps || r.bottom > screen.bottom + eps)
        out.push(`CLIP svg${k} "${it.name}" drawn at ${r4(r)} outside the svg element ${r4(screen)}`);
    }
    for (let i = 0; i < items.length; ++i)
      for (let j = i + 1; j < items.length; ++j) {
        const a = items[i].box, b = items[j].box;
        ++pairs;
        if (a.x + eps < b.x + b.width && b.x + eps < a.x + a.width &&
            a.y + eps < b.y + b.height && b.y + eps < a.y + a.height)
          out.push(`OVERLAP svg${k} "${items[i].name}" ${r4(a)} and "${items[j].name}" ${r4(b)}`);
      }
  });
  let links = 0;
  document.querySelectorAll('a[href^="#"]').forEach((a) => {
    ++links;
    const id = decodeURIComponent(a.getAttribute("href").slice(1));
    if (!document.getElementById(id)) out.push(`LINK "${a.textContent}" → #${id}: no such id`);
  });
  const summary = document.querySelectorAll('nav.differing a[href^="#row-"]').length;
  const differing = document.querySelectorAll("table.matrix tr.differs").length;
  let shown = 0;
  document.querySelectorAll("td .actual").forEach((s) => {
    const r = s.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && getComputedStyle(s).visibility === "visible") ++shown;
    else out.push(`HIDDEN step output "${s.textContent}"`);
  });
  out.push(`COUNT svgs=${document.querySelectorAll("svg.state-diagram").length} texts=${texts} ` +
           `pairs=${pairs} links=${links} summary_links=${summary} differing_rows=${differing} ` +
           `visible_outputs=${shown}`);
  const pre = document.createElement("pre");
  pre.id = "geometry";
  pre.textContent = "\n" + out.join("\n") + "\n";
  document.body.appendChild(pre);
})();
