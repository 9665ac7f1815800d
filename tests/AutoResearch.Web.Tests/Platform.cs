// The harness drives Linux process groups, /proc and bash; its tests run where it runs.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
