/**
 * Sets the `dark` class before the first paint from the saved choice
 * (localStorage "theme": light | dark | system), so pages never flash.
 */
const script = `try{var t=localStorage.getItem("theme");var d=t==="dark"||((!t||t==="system")&&matchMedia("(prefers-color-scheme: dark)").matches);document.documentElement.classList.toggle("dark",d)}catch(e){}`;

export function ThemeScript() {
  // biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script, no user input
  return <script dangerouslySetInnerHTML={{ __html: script }} />;
}
