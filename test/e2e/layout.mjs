// Layout checks for the responsive e2e: what overflows the viewport horizontally, in the browser.
// Two ways a page can overflow: a scroll container that scrolls sideways (the page itself, the chat), or
// an element that sticks out of the viewport without any ancestor clipping it. Code blocks and the top
// bar's nav strip scroll sideways on purpose; closed drawers are visibility:hidden and so not checked.

/** Runs in the page: a list of offenders (empty when nothing overflows). */
export function findOverflow() {
  const vw = document.documentElement.clientWidth;
  // the skip link waits off-screen until focused; screen-reader-only text is clipped to 1 px
  const allowed = (el) => el.matches("pre, pre *, .topbar nav, .copy pre, .skip, .sr-only");
  const name = (el) =>
    `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.classList.length ? `.${[...el.classList].join(".")}` : ""}`;
  const bad = [];
  if (document.documentElement.scrollWidth > vw + 1)
    bad.push(`document is ${document.documentElement.scrollWidth}px wide in a ${vw}px viewport`);
  for (const el of document.querySelectorAll("body *")) {
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    const cs = getComputedStyle(el);
    const clips = cs.overflowX !== "visible";
    if (clips && el.scrollWidth > el.clientWidth + 1 && cs.overflowX !== "hidden" && cs.overflowX !== "clip") {
      if (!allowed(el)) bad.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
    }
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= vw + 1 && r.left >= -1) continue;
    let clipped = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") {
        clipped = true;
        break;
      }
    }
    if (!clipped && !allowed(el)) bad.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} of ${vw}`);
  }
  return bad.slice(0, 12);
}

export const VIEWPORTS = [
  { name: "phone", width: 390, height: 844 },
  { name: "tablet", width: 768, height: 1024 },
  { name: "desktop", width: 1440, height: 900 },
];
