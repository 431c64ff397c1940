/**
 * Why a party reads a record: the words of the records module's grants and disclosures (HL7's
 * PurposeOfUse, simplified). Signed requests carry one; the node checks it is one of these.
 */
export const PURPOSES = ['treatment', 'payment', 'operations', 'research', 'public-health', 'emergency', 'patient-request', 'legal'] as const;
export type Purpose = (typeof PURPOSES)[number];

export function isPurpose(word: string): word is Purpose {
  return (PURPOSES as readonly string[]).includes(word);
}
