declare module 'node-gyp-build' {
  /** Loads the addon of the package rooted at `directory`: a matching prebuild, else build/Release. */
  function load(directory: string): unknown
  export default load
}
