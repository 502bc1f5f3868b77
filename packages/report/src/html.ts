/*
 * The HTML both reports are made of: one self-contained page (inline CSS, figures as SVG data
 * URIs, no script, nothing fetched), so that it opens from a file, a CI artifact or an email
 * attachment the same way and a browser has nothing to complain about.
 */

/** Escapes text for HTML element content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A figure: the SVG as an image (its own document, so that ids inside two SVGs never clash). */
export function figure(svg: string, alt: string, caption?: string): string {
  const src = `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
  return `<figure><img src="${src}" alt="${esc(alt)}">${caption ? `<figcaption>${esc(caption)}</figcaption>` : ''}</figure>`;
}

/** A table with a header row; cells are escaped unless given as `{ html }`. Numeric-looking cells align right. */
export function table(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>, opts: { className?: string } = {}): string {
  const cell = (v: unknown, tag: 'td' | 'th'): string => {
    const html = v !== null && typeof v === 'object' && 'html' in (v as object) ? String((v as { html: unknown }).html) : esc(v ?? '');
    const numeric = typeof v === 'number' || (typeof v === 'string' && /^[±\s\d.%e+–−-]+$/.test(v) && v.trim() !== '');
    return `<${tag}${numeric ? ' class="num"' : ''}>${html}</${tag}>`;
  };
  return `<table${opts.className ? ` class="${esc(opts.className)}"` : ''}><thead><tr>${columns.map((c) => cell(c, 'th')).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((v) => cell(v, 'td')).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px 32px 64px; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 36px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
.sub { color: #555; margin: 0 0 18px; }
table { border-collapse: collapse; font-size: 13.5px; margin: 8px 0 16px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e5e5e5; text-align: left; vertical-align: top; }
th { background: #f5f5f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 8px 0; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; }
figure { margin: 14px 0 22px; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 13px; margin-top: 4px; }
.verdict-regression, .bad { color: #b00020; font-weight: 600; } .verdict-improvement, .good { color: #1b7f3b; font-weight: 600; }
.verdict-error { color: #000; font-weight: 700; } .verdict-new { color: #6b4f2a; }
.banner { padding: 10px 14px; border-radius: 6px; margin: 10px 0 18px; font-weight: 600; }
.banner.ok { background: #e8f5e9; color: #1b5e20; } .banner.regression, .banner.error { background: #fdecea; color: #8a0012; }
code, pre { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 12.5px; }
pre { background: #f7f7f9; padding: 10px; overflow-x: auto; border-radius: 4px; }
details summary { cursor: pointer; color: #333; }
.muted { color: #777; }
footer { margin-top: 48px; color: #777; font-size: 12.5px; }
`;

/** A whole page: title, body HTML and a footer line. */
export function page(title: string, body: string, footer: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
${body}
<footer>${footer}</footer>
</body>
</html>
`;
}
