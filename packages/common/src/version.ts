/** SmartEM's version: the CLI's `--version`, the API's `/status` and OpenAPI `info.version`, the agent executable. */
export const VERSION = '0.1.0';
