// The supply module: what the node registers, and what tools and tests use of it.
export { supplyModule } from './module/module.js';
export { SUPPLY_ERRORS, EPCIS_EXCEPTION_OF } from './errors.js';
export { parseId, checkDigit, type Gs1Id, type IdKind } from './epcis/identifiers.js';
export { validateSchema } from './epcis/schema.js';
export { readCaptureDocument, CAPTURE_EVENTS_MAX, CAPTURE_BYTES_MAX, type CapturedEvent, type CapturedDocument } from './epcis/document.js';
export { EVENT_TIME_SKEW_MS, type Rule } from './module/capture.js';
export { UNDO_WINDOW_MS } from './module/handlers.js';
export { verifyPack, normaliseExpiry, type VerifyAnswer, type VerifyReason } from './module/verify.js';
export { packKey, prefixKey, recallKey, getPack, type PackRecord, type PackStatus } from './module/state.js';
