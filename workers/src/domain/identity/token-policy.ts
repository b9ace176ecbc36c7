// Fixed facts about the tokens sysop signs, shared by the signer (SigningKeys) and verifier.
export const TOKEN_ALG = "EdDSA";
/** No token sysop signs lives longer than this; retired keys stay published this long. */
export const MAX_TOKEN_TTL_SECONDS = 3600;
