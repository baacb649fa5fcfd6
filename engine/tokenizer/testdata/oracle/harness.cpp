// Reference oracle: llama.cpp's own vocab code, driven over stdin/stdout.
// Commands (one per line, fields separated by spaces):
//   load PATH [key=type:value ...]   type: s (string) b (bool) i (int)
//   tok ADD PARSE HEX                -> ids (space separated) or "ERR"
//   detok REMOVE UNPARSE id id ...   -> hex
//   split HEX                        -> hex words (byte-encoded), space separated
//   piece ID                         -> hex of token_to_piece(special=true)
//   info                             -> bos eos eot eom unk pad nl addbos addeos addspace
//   eog                              -> ids of EOG tokens
#include "llama-vocab.cpp"
#include <iostream>
#include <sstream>

static std::string hexenc(const std::string &s) {
    static const char *h = "0123456789abcdef";
    std::string o;
    for (unsigned char c : s) { o += h[c >> 4]; o += h[c & 15]; }
    return o;
}
static std::string hexdec(const std::string &s) {
    std::string o;
    for (size_t i = 0; i + 1 < s.size(); i += 2) o += (char) std::stoi(s.substr(i, 2), nullptr, 16);
    return o;
}

int main() {
    llama_log_set([](ggml_log_level, const char *, void *) {}, nullptr);
    std::unique_ptr<llama_vocab> vocab;
    std::unique_ptr<llama_model_loader> ml;
    std::string line;
    std::vector<std::string> regex_exprs;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        try {
            if (cmd == "load") {
                std::string path, ov;
                in >> path;
                std::vector<llama_model_kv_override> ovs;
                while (in >> ov) {
                    llama_model_kv_override o{};
                    auto eq = ov.find('=');
                    std::string key = ov.substr(0, eq), val = ov.substr(eq + 3);
                    char t = ov[eq + 1];
                    strncpy(o.key, key.c_str(), 127);
                    if (t == 's') { o.tag = LLAMA_KV_OVERRIDE_TYPE_STR; strncpy(o.val_str, val.c_str(), 127); }
                    if (t == 'b') { o.tag = LLAMA_KV_OVERRIDE_TYPE_BOOL; o.val_bool = val == "1"; }
                    if (t == 'i') { o.tag = LLAMA_KV_OVERRIDE_TYPE_INT; o.val_i64 = std::stoll(val); }
                    ovs.push_back(o);
                }
                llama_model_kv_override end{};
                ovs.push_back(end);
                std::vector<std::string> splits;
                ml.reset(new llama_model_loader(path, splits, false, false, true, ovs.data(), nullptr));
                vocab.reset(new llama_vocab());
                vocab->load(*ml, LLM_KV(LLM_ARCH_LLAMA));
                regex_exprs.clear();
                if (vocab->get_type() == LLAMA_VOCAB_TYPE_BPE) {
                    llm_tokenizer_bpe t(*vocab);
                    regex_exprs = t.regex_exprs;
                }
                std::cout << "OK " << vocab->n_tokens() << "\n";
            } else if (cmd == "tok") {
                int add, parse; std::string hex;
                in >> add >> parse >> hex;
                auto ids = vocab->tokenize(hexdec(hex), add, parse);
                std::cout << "IDS";
                for (auto id : ids) std::cout << " " << id;
                std::cout << "\n";
            } else if (cmd == "detok") {
                int rm, unp; in >> rm >> unp;
                std::vector<llama_token> ids; int id;
                while (in >> id) ids.push_back(id);
                std::string text(ids.size() * 64 + 64, '\0');
                int n = vocab->detokenize(ids.data(), ids.size(), &text[0], text.size(), rm, unp);
                if (n < 0) { text.resize(-n); n = vocab->detokenize(ids.data(), ids.size(), &text[0], text.size(), rm, unp); }
                text.resize(n);
                std::cout << "HEX " << hexenc(text) << "\n";
            } else if (cmd == "split") {
                std::string hex; in >> hex;
                auto words = unicode_regex_split(hexdec(hex), regex_exprs);
                std::cout << "WORDS";
                for (auto &w : words) std::cout << " " << hexenc(w);
                std::cout << "\n";
            } else if (cmd == "piece") {
                int id; in >> id;
                char buf[4096];
                int n = vocab->token_to_piece(id, buf, sizeof buf, 0, true);
                std::cout << "HEX " << hexenc(std::string(buf, n > 0 ? n : 0)) << "\n";
            } else if (cmd == "info") {
                std::cout << "INFO " << vocab->token_bos() << " " << vocab->token_eos() << " " << vocab->token_eot() << " "
                          << vocab->token_eom() << " " << vocab->token_unk() << " " << vocab->token_pad() << " " << vocab->token_nl() << " "
                          << vocab->get_add_bos() << " " << vocab->get_add_eos() << " " << vocab->get_add_space_prefix() << "\n";
            } else if (cmd == "eog") {
                std::cout << "EOG";
                for (int i = 0; i < (int) vocab->n_tokens(); i++) if (vocab->is_eog(i)) std::cout << " " << i;
                std::cout << "\n";
            } else if (cmd == "attr") {
                std::cout << "ATTR";
                for (int i = 0; i < (int) vocab->n_tokens(); i++) std::cout << " " << (int) vocab->token_get_attr(i);
                std::cout << "\n";
            } else {
                std::cout << "ERR unknown command\n";
            }
        } catch (const std::exception &e) {
            std::cout << "ERR " << e.what() << "\n";
        }
        std::cout.flush();
    }
}
