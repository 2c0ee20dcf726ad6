// class-transformer's metadata store, as @nestjs/mapped-types reaches it; the package types it elsewhere.
declare module 'class-transformer/cjs/storage.js' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage.js';
}
