export { RedisSaver } from "./saver.js";
export type { RedisSaverOptions, RedisSaverUrlOptions } from "./saver.js";
export type { RedisClient } from "./store.js";
export { ConversationManager } from "./conversations/manager.js";
export type { Conversation, ConversationManagerOptions, ConversationPage } from "./conversations/manager.js";
export {
  AccessSchema,
  ConversationMetadataSchema,
  ConversationPatchSchema,
  CreateConversationInputSchema,
  GetMessagesInputSchema,
  ListConversationsInputSchema,
  MessageInputSchema,
  ThreadIdSchema,
  UserIdSchema,
} from "./conversations/schemas.js";
export type {
  Access,
  ConversationMetadata,
  ConversationPatch,
  CreateConversationInput,
  GetMessagesInput,
  ListConversationsInput,
  MessageInput,
} from "./conversations/schemas.js";
export {
  RedisTreeError,
  InvalidInputError,
  NotFoundError,
  ConversationExistsError,
  StorageError,
  SerializationError,
} from "./errors.js";
