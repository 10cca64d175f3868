export { RedisSaver } from "./saver.js";
export type { RedisSaverClusterOptions, RedisSaverOptions, RedisSaverUrlOptions } from "./saver.js";
export type { RedisClient } from "./scripts/scripts.js";
export { ConversationManager } from "./conversations/manager.js";
export type { Branch, ConversationManagerOptions, ConversationPage } from "./conversations/manager.js";
export type { Conversation, ConversationInterrupt, ConversationStatus } from "./conversations/records.js";
export { TREE_SCHEMA_VERSION, TreeDocumentSchema } from "./conversations/document.js";
export type { TreeDocument, TreeMessage, TreeNode } from "./conversations/document.js";
export {
  AccessSchema,
  BranchNameSchema,
  CheckpointIdSchema,
  ConversationMetadataSchema,
  ConversationTTLSchema,
  ForkConversationInputSchema,
  ImportConversationOptionsSchema,
  ConversationPatchSchema,
  CreateConversationInputSchema,
  ConversationStatusSchema,
  RunOptionsSchema,
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
  ForkConversationInput,
  GetMessagesInput,
  ImportConversationOptions,
  ListConversationsInput,
  MessageInput,
  RunOptions,
} from "./conversations/schemas.js";
export {
  RedisTreeError,
  InvalidInputError,
  NotFoundError,
  ConversationExistsError,
  ConversationBusyError,
  StorageError,
  SerializationError,
  EvictionPolicyError,
  DurabilityError,
  isRedisTreeError,
  isInvalidInputError,
  isNotFoundError,
  isConversationExistsError,
  isConversationBusyError,
  isStorageError,
  isSerializationError,
  isEvictionPolicyError,
  isDurabilityError,
} from "./errors.js";
export type { ErrorCode } from "./errors.js";
