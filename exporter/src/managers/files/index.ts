/** The files manager: file roots, containment and every file operation of one host. */
export { FileManager, LIST_SORT_KEYS, MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT } from './manager.js';
export type * from './manager.js';
export { fileSettings, type FileSettings, type FileRoot } from './settings.js';
export { REL_PATH_PATTERN, relPathProblem } from './names.js';
export { contentDisposition, contentType } from './content.js';
