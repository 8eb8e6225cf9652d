export { cosine, l2Normalize, type Embedder } from './embedder.js';
export { HashingEmbedder, type HashingEmbedderOptions } from './hashing.js';
export { OpenAiEmbedder, decodeFloat32Base64, type OpenAiEmbedderOptions } from './openai-embeddings.js';
