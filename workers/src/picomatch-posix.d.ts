// picomatch's POSIX entry (no platform sniffing): same API as the main export.
declare module "picomatch/posix" {
  import picomatch from "picomatch";
  export default picomatch;
}
