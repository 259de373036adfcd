// The page's elements by role, looked up once.

const $ = (id) => document.getElementById(id);
export const el = {
  status: $('server-status'), messages: $('messages'), keyButton: $('key-button'),
  fileInput: $('file-input'), fileMeta: $('file-meta'),
  model: $('model-select'), modelHelp: $('model-help'), layer: $('layer-select'), layerHelp: $('layer-help'),
  method: $('method-select'), methodHelp: $('method-help'),
  predPanel: $('panel-predictions'), predictions: $('predictions'), predHelp: $('predictions-help'), predTime: $('predict-time'),
  otherForm: $('other-class-form'), otherInput: $('other-class'), otherButton: $('other-class-button'), labels: $('class-labels'),
  originalPanel: $('panel-original'), originalStage: $('original-stage'), originalImage: $('original-image'),
  originalMarks: $('original-marks'), originalPlaceholder: $('original-placeholder'), originalCaption: $('original-caption'),
  overlayPanel: $('panel-overlay'), overlayStage: $('overlay-stage'), canvas: $('overlay-canvas'), marks: $('overlay-marks'),
  overlayPlaceholder: $('overlay-placeholder'), overlayTitle: $('overlay-title'), overlayTime: $('overlay-time'),
  overlayCaption: $('overlay-caption'), overlayError: $('overlay-error'), overlayRetry: $('overlay-retry'), readout: $('readout'),
  opacity: $('opacity'), opacityValue: $('opacity-value'), colormap: $('colormap-select'), marksToggle: $('marks-toggle'),
  legend: $('legend'), pin: $('pin-button'),
  guidedPanel: $('panel-guided'), guidedStage: $('guided-stage'), guidedImage: $('guided-image'), guidedBackdrop: $('guided-backdrop'),
  guidedPlaceholder: $('guided-placeholder'), guidedTitle: $('guided-title'), guidedTime: $('guided-time'),
  guidedCaption: $('guided-caption'), guidedError: $('guided-error'), guidedRetry: $('guided-retry'), guidedSelect: $('guided-select'),
  compare: $('compare'), compareGrid: $('compare-grid'), compareClear: $('compare-clear'),
  gridMethods: $('grid-methods'), gridMetrics: $('grid-metrics'), gridRun: $('grid-run'), grid: $('method-grid'),
  sanity: $('sanity'), sanityRun: $('sanity-run'), sanityCancel: $('sanity-cancel'), sanityTime: $('sanity-time'),
  sanityCaption: $('sanity-caption'), sanityMeasure: $('sanity-measure'), sanityChart: $('sanity-chart'), sanityVerdicts: $('sanity-verdicts'),
  curl: $('curl'), copyCurl: $('copy-curl'),
  keyDialog: $('key-dialog'), keyForm: $('key-form'), keyInput: $('key-input'), keyReason: $('key-reason'),
  keyForget: $('key-forget'), keyCancel: $('key-cancel'), announcer: $('announcer'),
};
