/**
 * The page's elements, found once, and the helpers that write messages into
 * them (the status line, the error box, the notes list).
 */
function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

export const ui = {
  app: element<HTMLDivElement>('app'),
  dataset: element<HTMLSelectElement>('dataset'),
  file: element<HTMLInputElement>('file'),
  dropZone: element<HTMLDivElement>('drop-zone'),
  columns: element<HTMLDivElement>('columns'),
  xColumn: element<HTMLSelectElement>('x-column'),
  yColumn: element<HTMLSelectElement>('y-column'),
  dataSummary: element<HTMLParagraphElement>('data-summary'),
  addX: element<HTMLInputElement>('add-x'),
  addY: element<HTMLInputElement>('add-y'),
  addXLabel: element<HTMLLabelElement>('add-x-label'),
  addYLabel: element<HTMLLabelElement>('add-y-label'),
  addPoint: element<HTMLButtonElement>('add-point'),
  removeAdded: element<HTMLButtonElement>('remove-added'),
  components: element<HTMLInputElement>('components'),
  covariance: element<HTMLSelectElement>('covariance'),
  init: element<HTMLSelectElement>('init'),
  seed: element<HTMLInputElement>('seed'),
  restarts: element<HTMLInputElement>('restarts'),
  tolerance: element<HTMLInputElement>('tolerance'),
  maxIterations: element<HTMLInputElement>('max-iterations'),
  reset: element<HTMLButtonElement>('reset'),
  eStep: element<HTMLButtonElement>('e-step'),
  mStep: element<HTMLButtonElement>('m-step'),
  run: element<HTMLButtonElement>('run'),
  fit: element<HTMLButtonElement>('fit'),
  stop: element<HTMLButtonElement>('stop'),
  showKmeans: element<HTMLInputElement>('show-kmeans'),
  bicRun: element<HTMLButtonElement>('bic-run'),
  useBest: element<HTMLButtonElement>('use-best'),
  downloadModel: element<HTMLButtonElement>('download-model'),
  downloadLabels: element<HTMLButtonElement>('download-labels'),
  status: element<HTMLDivElement>('status'),
  error: element<HTMLDivElement>('error'),
  loglik: element<HTMLOutputElement>('loglik'),
  fitInfo: element<HTMLSpanElement>('fit-info'),
  scatter: element<HTMLDivElement>('scatter'),
  kmeansFigure: element<HTMLElement>('kmeans-figure'),
  kmeansPlot: element<HTMLDivElement>('kmeans-plot'),
  kmeansSummary: element<HTMLParagraphElement>('kmeans-summary'),
  notes: element<HTMLUListElement>('notes'),
  trace: element<HTMLDivElement>('trace'),
  bicFigure: element<HTMLElement>('bic-figure'),
  bic: element<HTMLDivElement>('bic'),
  bicTable: element<HTMLTableElement>('bic-table'),
  componentsTable: element<HTMLTableElement>('components-table'),
};

export function showStatus(text: string): void {
  ui.status.textContent = text;
}

export function showError(text: string): void {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

export function clearError(): void {
  ui.error.textContent = '';
  ui.error.hidden = true;
}

export function addNote(text: string, className = ''): void {
  const item = document.createElement('li');
  item.textContent = text;
  if (className) item.className = className;
  ui.notes.append(item);
  while (ui.notes.children.length > 8) ui.notes.firstElementChild?.remove();
}

export function clearNotes(): void {
  ui.notes.replaceChildren();
}
