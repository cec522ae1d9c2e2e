/** Kept in step with package.json by the build (define) and a unit test. */
export const VERSION = '0.1.0';
