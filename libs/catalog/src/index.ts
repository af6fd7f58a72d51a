// The model catalog: models, prices, what a call costs, and how many tokens a text is.
export { BUILTIN_DEFAULT_MODEL, builtinCatalog } from './builtin';
export { findModel, sameModels } from './models';
export { costOf } from './cost';
export { countChatTokens, countTokens, type TokenCount } from './tokens';
