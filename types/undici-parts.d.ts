// undici's own modules for the two things the gateway uses, typed as its entry point types them
// (see lib/upstream/http.ts for why they are loaded by their own paths).
declare module 'undici/lib/dispatcher/agent' {
  import { Agent } from 'undici';
  export = Agent;
}
declare module 'undici/lib/core/errors' {
  import { errors } from 'undici';
  export = errors;
}
