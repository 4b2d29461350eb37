/**
 * Tiny DOM helpers. Text from documents (token labels) only ever goes through textContent —
 * never innerHTML — and no element gets a style attribute (the CSP forbids inline styles;
 * layout lives in media/dashboard.css, sizes are set through the CSSOM).
 */

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; title?: string; text?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.title) node.title = props.title;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const c of children) if (c) node.append(c);
  return node;
}

export function button(label: string, title: string, onClick: (e: MouseEvent) => void, cls = 'btn'): HTMLButtonElement {
  const b = el('button', { class: cls, title, text: label, attrs: { type: 'button' } });
  b.addEventListener('click', onClick);
  return b;
}

/** A labelled checkbox whose state the caller owns. */
export function toggle(
  label: string,
  title: string,
  checked: boolean,
  onChange: (checked: boolean) => void,
): { root: HTMLLabelElement; input: HTMLInputElement } {
  const input = el('input', { attrs: { type: 'checkbox' } });
  input.checked = checked;
  input.addEventListener('change', () => onChange(input.checked));
  return { root: el('label', { class: 'toggle', title }, input, label), input };
}

/** A set of mutually exclusive buttons (aria-pressed). */
export function segmented<T extends string>(
  options: readonly { value: T; label: string; title: string }[],
  value: T,
  onChange: (value: T) => void,
): { root: HTMLElement; set: (value: T) => void } {
  const root = el('div', { class: 'segmented', attrs: { role: 'group' } });
  const buttons = options.map((o) => {
    const b = button(o.label, o.title, () => onChange(o.value), 'seg');
    root.append(b);
    return { b, value: o.value };
  });
  const set = (v: T): void => {
    for (const x of buttons) x.b.setAttribute('aria-pressed', String(x.value === v));
  };
  set(value);
  return { root, set };
}

/** A card with a title bar (title, optional controls) and a body. */
export function section(id: string, title: string): { root: HTMLElement; tools: HTMLElement; body: HTMLElement; note: HTMLElement } {
  const tools = el('div', { class: 'tools' });
  const note = el('p', { class: 'note' });
  const body = el('div', { class: 'body' });
  const root = el('section', { class: 'card', attrs: { id, 'aria-label': title } }, el('header', {}, el('h2', { text: title }), tools), note, body);
  note.hidden = true;
  return { root, tools, body, note };
}

export function setNote(note: HTMLElement, text: string | null): void {
  note.hidden = !text;
  note.textContent = text ?? '';
}
