/** What a model can do beyond plain chat, by the words catalogs and requests use. */
export const MODEL_CAPABILITIES = ['streaming', 'tools', 'json_mode', 'vision'] as const;

export type ModelCapability = (typeof MODEL_CAPABILITIES)[number];

export function isModelCapability(word: string): word is ModelCapability {
  return (MODEL_CAPABILITIES as readonly string[]).includes(word);
}
