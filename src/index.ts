export { RedisSaver } from "./saver.js";
export type { RedisSaverOptions, RedisSaverUrlOptions } from "./saver.js";
export type { RedisClient } from "./store.js";
export { RedisTreeError, InvalidInputError, StorageError, SerializationError } from "./errors.js";
