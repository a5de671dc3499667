// echo: copies stdin to stdout, the smallest useful Faas function in AssemblyScript.
import { readInput, writeOutput } from "./faas";

writeOutput(readInput());
