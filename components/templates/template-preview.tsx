import {
  CopyIcon,
  ExternalLinkIcon,
  FileTextIcon,
  ImageIcon,
  PhoneIcon,
  ReplyIcon,
  VideoIcon,
} from "lucide-react";
import { Fragment } from "react";
import { whatsappFormat } from "@/lib/templates/render";
import { cn } from "@/lib/utils";
import type { RenderedTemplate } from "@/lib/whatsapp/template-params";

/** Text with WhatsApp's inline formatting (*bold*, _italic_, ~strike~, ```mono```), line breaks kept. */
export function WhatsAppText({ text }: { text: string }) {
  return (
    <>
      {whatsappFormat(text).map((s, i) => (
        <Fragment key={i}>
          {s.bold || s.italic || s.strike || s.mono ? (
            <span
              className={cn(
                s.bold && "font-semibold",
                s.italic && "italic",
                s.strike && "line-through",
                s.mono && "font-mono",
              )}
            >
              {s.text}
            </span>
          ) : (
            s.text
          )}
        </Fragment>
      ))}
    </>
  );
}

const MEDIA_ICON = { image: ImageIcon, video: VideoIcon, document: FileTextIcon } as const;

function buttonIcon(type: string, url?: string) {
  if (type === "url" && url?.includes("otp_type=COPY_CODE")) return CopyIcon;
  if (type === "url") return ExternalLinkIcon;
  if (type === "phone_number") return PhoneIcon;
  return ReplyIcon;
}

/**
 * A template as the customer's WhatsApp shows it: one business bubble with
 * header, body, footer and time, and the buttons under it.
 */
export function TemplatePreview({
  rendered,
  className,
  label = "Preview",
}: {
  rendered: RenderedTemplate;
  className?: string;
  label?: string;
}) {
  const Media = rendered.headerMedia ? MEDIA_ICON[rendered.headerMedia] : null;
  return (
    <figure aria-label={label} className={cn("rounded-xl bg-[#efeae2] p-3 dark:bg-[#0b141a]", className)}>
      <div className="max-w-[20rem]">
        <div className="rounded-lg rounded-tl-none bg-white px-2.5 pt-2 pb-1.5 text-[0.9rem] text-[#111b21] shadow-sm dark:bg-[#202c33] dark:text-[#e9edef]">
          {Media && (
            <div className="mb-2 flex h-32 items-center justify-center rounded-md bg-[#d1d7db] text-[#54656f] dark:bg-[#2a3942]">
              <Media className="size-10" aria-label={`${rendered.headerMedia} header`} />
            </div>
          )}
          {rendered.header && (
            <p className="mb-1 font-semibold" data-part="header">
              <WhatsAppText text={rendered.header} />
            </p>
          )}
          <p className="whitespace-pre-wrap break-words" data-part="body">
            {rendered.body ? (
              <WhatsAppText text={rendered.body} />
            ) : (
              <span className="opacity-50">Message body</span>
            )}
          </p>
          {rendered.footer && (
            <p className="mt-1 text-xs text-[#667781] dark:text-[#8696a0]" data-part="footer">
              {rendered.footer}
            </p>
          )}
          <p className="mt-0.5 text-right text-[0.68rem] text-[#667781] dark:text-[#8696a0]">12:00</p>
        </div>
        {rendered.buttons.length > 0 && (
          <ul className="mt-0.5 flex flex-col gap-0.5" data-part="buttons">
            {rendered.buttons.map((b, i) => {
              const Icon = buttonIcon(b.type, b.url);
              return (
                <li
                  key={i}
                  title={b.url}
                  className="flex items-center justify-center gap-1.5 rounded-lg bg-white px-2 py-2 text-sm font-medium text-[#027eb5] shadow-sm dark:bg-[#202c33] dark:text-[#53bdeb]"
                >
                  <Icon className="size-4" />
                  {b.text || <span className="opacity-50">Button</span>}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </figure>
  );
}
