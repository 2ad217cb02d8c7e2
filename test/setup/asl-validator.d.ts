// asl-validator ships no types; this is the part the infrastructure tests use.
declare module 'asl-validator' {
  export default function aslValidator(definition: object): { isValid: boolean; errorsText: (separator?: string) => string };
}
