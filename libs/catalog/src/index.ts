// The model catalog: models, prices, what a call costs and whether it is billed, and how many tokens a text is.
export { BUILTIN_DEFAULT_MODEL, builtinCatalog, nanoUsd } from './builtin';
export { MODEL_CAPABILITIES, isModelCapability, type ModelCapability } from './capabilities';
export { isKnownEncoding } from './encodings';
export { catalogInEffect, effectiveTime, findModel, sameModels } from './models';
export { costOf, isBilled } from './cost';
export { countChatTokens, countTokens, type TokenCount } from './tokens';
