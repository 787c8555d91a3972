/** Version reported by /ping and the OpenAPI document; bump with package.json. */
export const API_VERSION = '0.1.0';
