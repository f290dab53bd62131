#include "io/torchsave.h"

#include "upstep/common/error.h"

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

namespace upstep::core {

namespace {

// A value on the pickle machine's stack. Containers are shared, as the pickle's memo refers to
// the same object from several places (a dict is memoised, then filled by SETITEMS).
struct PyValue;
using PyRef = std::shared_ptr<PyValue>;
struct PyValue {
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Tensor, Global, Mark };
    Kind kind = Kind::None;
    std::int64_t integer = 0;
    double real = 0;
    std::string text; ///< String; Global: "module.name"
    std::vector<PyRef> items;
    std::vector<std::pair<PyRef, PyRef>> entries;
    torch::Tensor tensor;
};

// The storage types a state dict's tensors name, by their torch global.
const std::map<std::string, torch::ScalarType> &storageTypes()
{
    static const std::map<std::string, torch::ScalarType> kTypes = {
        {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
        {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
        {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
        {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
        {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool},
    };
    return kTypes;
}

bool allowedGlobal(const std::string &name)
{
    return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
           name == "torch._utils._rebuild_parameter" || storageTypes().count(name) > 0;
}

class Unpickler {
public:
    Unpickler(const std::filesystem::path &file, const std::string &data, const StorageReader &records,
              std::uint64_t byteBudget)
        : m_file(file), m_data(data), m_records(records), m_budget(byteBudget)
    {
    }

    // Values refer to each other (a memoised list can even hold itself): every container is
    // emptied first, so freeing never recurses through a deep nesting nor leaks a cycle.
    ~Unpickler()
    {
        for (const auto &v : m_all) {
            v->items.clear();
            v->entries.clear();
        }
    }
    Unpickler(const Unpickler &) = delete;
    Unpickler &operator=(const Unpickler &) = delete;

    PyRef run()
    {
        while (true) {
            const auto op = static_cast<unsigned char>(byte());
            switch (op) {
            case 0x80: byte(); break;   // PROTO
            case 0x95: bytes(8); break; // FRAME
            case '.': return pop();     // STOP
            case '(': push(make(PyValue::Kind::Mark)); break;
            case 'N': push(make(PyValue::Kind::None)); break;
            case 0x88: push(boolean(true)); break;
            case 0x89: push(boolean(false)); break;
            case 'K': push(integer(static_cast<unsigned char>(byte()))); break;
            case 'M': push(integer(static_cast<std::int64_t>(little(2)))); break;
            case 'J': push(integer(static_cast<std::int32_t>(little(4)))); break;
            case 0x8a: push(integer(signedLittle(static_cast<unsigned char>(byte())))); break; // LONG1
            case 'G': push(real()); break;
            case 'X': push(string(little(4))); break;
            case 0x8c: push(string(static_cast<unsigned char>(byte()))); break;
            case 0x8d: push(string(little(8))); break;
            case 'c': global(); break;
            case 0x93: stackGlobal(); break;
            case '}': push(make(PyValue::Kind::Dict)); break;
            case ']': push(make(PyValue::Kind::List)); break;
            case ')': push(make(PyValue::Kind::Tuple)); break;
            case 't': push(tuple(popToMark())); break;
            case 0x85: tupleOf(1); break;
            case 0x86: tupleOf(2); break;
            case 0x87: tupleOf(3); break;
            case 'q': memoPut(static_cast<unsigned char>(byte())); break;
            case 'r': memoPut(little(4)); break;
            case 0x94: memoPut(m_memo.size()); break; // MEMOIZE
            case 'h': push(memoGet(static_cast<unsigned char>(byte()))); break;
            case 'j': push(memoGet(little(4))); break;
            case 's': setItems(2); break;
            case 'u': setItems(0); break;
            case 'a': append(false); break;
            case 'e': append(true); break;
            case 'Q': persistent(); break;
            case 'R': reduce(); break;
            case 'b': build(); break;
            default:
                fail("uses pickle instruction 0x" + hex(op) + " at byte " + std::to_string(m_at - 1) +
                     ", which a state dict of tensors never needs");
            }
        }
    }

private:
    PyRef make(PyValue::Kind kind)
    {
        auto v = std::make_shared<PyValue>();
        v->kind = kind;
        m_all.push_back(v);
        return v;
    }

    [[noreturn]] void fail(const std::string &what) const
    {
        throw FormatError(m_file, "the PyTorch file " + what + " (only tensors and plain containers are read)");
    }

    static std::string hex(unsigned value)
    {
        const char *digits = "0123456789abcdef";
        return {digits[(value >> 4) & 15], digits[value & 15]};
    }

    char byte()
    {
        if (m_at >= m_data.size())
            fail("ends in the middle of its pickle");
        return m_data[m_at++];
    }

    std::string bytes(std::uint64_t n)
    {
        if (n > m_data.size() - m_at)
            fail("ends in the middle of its pickle");
        auto out = m_data.substr(m_at, n);
        m_at += n;
        return out;
    }

    std::uint64_t little(int n)
    {
        const auto raw = bytes(static_cast<std::uint64_t>(n));
        std::uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i)
            v = (v << 8) | static_cast<unsigned char>(raw[static_cast<std::size_t>(i)]);
        return v;
    }

    std::int64_t signedLittle(int n)
    {
        if (n == 0)
            return 0;
        if (n > 8)
            fail("holds an integer wider than 64 bits");
        auto v = little(n);
        if (n < 8 && (v >> (8 * n - 1)) & 1) // sign-extend
            v |= ~std::uint64_t{0} << (8 * n);
        return static_cast<std::int64_t>(v);
    }

    PyRef boolean(bool b)
    {
        auto v = make(PyValue::Kind::Bool);
        v->integer = b;
        return v;
    }

    PyRef integer(std::int64_t i)
    {
        auto v = make(PyValue::Kind::Int);
        v->integer = i;
        return v;
    }

    PyRef real()
    {
        const auto raw = bytes(8); // big-endian IEEE 754
        std::uint64_t bits = 0;
        for (const char c : raw)
            bits = (bits << 8) | static_cast<unsigned char>(c);
        auto v = make(PyValue::Kind::Float);
        std::memcpy(&v->real, &bits, sizeof bits);
        return v;
    }

    PyRef string(std::uint64_t length)
    {
        auto v = make(PyValue::Kind::String);
        v->text = bytes(length);
        return v;
    }

    PyRef tuple(std::vector<PyRef> items)
    {
        auto v = make(PyValue::Kind::Tuple);
        v->items = std::move(items);
        return v;
    }

    void push(PyRef v)
    {
        if (m_stack.size() > kMaxStack)
            fail("nests deeper than any state dict");
        m_stack.push_back(std::move(v));
    }

    PyRef pop()
    {
        if (m_stack.empty() || m_stack.back()->kind == PyValue::Kind::Mark)
            fail("has a malformed pickle (an empty stack)");
        auto v = std::move(m_stack.back());
        m_stack.pop_back();
        return v;
    }

    std::vector<PyRef> popToMark()
    {
        std::vector<PyRef> items;
        while (true) {
            if (m_stack.empty())
                fail("has a malformed pickle (no mark)");
            auto v = std::move(m_stack.back());
            m_stack.pop_back();
            if (v->kind == PyValue::Kind::Mark)
                break;
            items.push_back(std::move(v));
        }
        return {items.rbegin(), items.rend()};
    }

    void tupleOf(int n)
    {
        std::vector<PyRef> items(static_cast<std::size_t>(n));
        for (int i = n - 1; i >= 0; --i)
            items[static_cast<std::size_t>(i)] = pop();
        push(tuple(std::move(items)));
    }

    void checkGlobal(const std::string &name)
    {
        if (!allowedGlobal(name))
            fail("refers to the Python object '" + name +
                 "'; reading it would mean running code from the file, so it is refused. A whole pickled model "
                 "or training state cannot be read: save model.state_dict() with torch.save, or as safetensors");
        auto v = make(PyValue::Kind::Global);
        v->text = name;
        push(v);
    }

    void global()
    {
        std::string module, name;
        for (char c; (c = byte()) != '\n';)
            module += c;
        for (char c; (c = byte()) != '\n';)
            name += c;
        checkGlobal(module + "." + name);
    }

    void stackGlobal()
    {
        const auto name = pop(), module = pop();
        if (name->kind != PyValue::Kind::String || module->kind != PyValue::Kind::String)
            fail("has a malformed pickle (a global without a name)");
        checkGlobal(module->text + "." + name->text);
    }

    void memoPut(std::uint64_t index)
    {
        if (m_stack.empty())
            fail("has a malformed pickle (memo of an empty stack)");
        if (index > kMaxMemo)
            fail("has a malformed pickle (memo index " + std::to_string(index) + ")");
        m_memo[index] = m_stack.back();
    }

    PyRef memoGet(std::uint64_t index)
    {
        const auto it = m_memo.find(index);
        if (it == m_memo.end())
            fail("has a malformed pickle (memo index " + std::to_string(index) + " unset)");
        return it->second;
    }

    void setItems(int count)
    {
        auto items = count == 2 ? std::vector<PyRef>{} : popToMark();
        if (count == 2) {
            auto value = pop();
            auto key = pop();
            items = {key, value};
        }
        if (items.size() % 2 != 0)
            fail("has a malformed pickle (a key without a value)");
        if (m_stack.empty() || m_stack.back()->kind != PyValue::Kind::Dict)
            fail("has a malformed pickle (items set on something that is not a dict)");
        auto &dict = m_stack.back()->entries;
        for (std::size_t i = 0; i < items.size(); i += 2)
            dict.emplace_back(items[i], items[i + 1]);
    }

    void append(bool many)
    {
        auto items = many ? popToMark() : std::vector<PyRef>{pop()};
        if (m_stack.empty() || m_stack.back()->kind != PyValue::Kind::List)
            fail("has a malformed pickle (items appended to something that is not a list)");
        auto &list = m_stack.back()->items;
        list.insert(list.end(), items.begin(), items.end());
    }

    // A tensor's storage: ('storage', torch.<Type>Storage, key, location, numel), its bytes in the
    // zip's data/<key> record, read once however many tensors view it.
    void persistent()
    {
        const auto pid = pop();
        const auto &p = pid->items;
        if (pid->kind != PyValue::Kind::Tuple || p.size() < 5 || p[0]->text != "storage" ||
            p[1]->kind != PyValue::Kind::Global || p[2]->kind != PyValue::Kind::String ||
            p[4]->kind != PyValue::Kind::Int)
            fail("has a persistent reference that is not a tensor storage");
        const auto type = storageTypes().find(p[1]->text);
        if (type == storageTypes().end())
            fail("refers to '" + p[1]->text + "' as a storage type");
        const auto &key = p[2]->text;
        if (auto it = m_storages.find(key); it != m_storages.end()) {
            push(it->second);
            return;
        }
        const auto numel = p[4]->integer;
        const auto elementSize = static_cast<std::int64_t>(c10::elementSize(type->second));
        std::int64_t bytes = 0;
        if (numel < 0 || __builtin_mul_overflow(numel, elementSize, &bytes))
            fail("has storage " + key + " with " + std::to_string(numel) + " elements");
        spend(static_cast<std::uint64_t>(bytes));
        const auto raw = m_records("data/" + key, static_cast<std::uint64_t>(bytes));
        if (static_cast<std::int64_t>(raw.size()) < bytes)
            fail("has storage " + key + " of " + std::to_string(raw.size()) + " bytes, too small for " +
                 std::to_string(numel) + " elements");
        auto v = make(PyValue::Kind::Tensor);
        v->tensor = torch::empty({numel}, torch::TensorOptions().dtype(type->second));
        if (numel > 0)
            std::memcpy(v->tensor.data_ptr(), raw.data(), static_cast<std::size_t>(numel * elementSize));
        m_storages[key] = v;
        push(v);
    }

    std::vector<std::int64_t> integers(const PyRef &tuple, const char *what)
    {
        if (tuple->kind != PyValue::Kind::Tuple)
            fail(std::string("has a tensor whose ") + what + " is not a tuple");
        std::vector<std::int64_t> out;
        for (const auto &item : tuple->items) {
            if (item->kind != PyValue::Kind::Int || item->integer < 0)
                fail(std::string("has a tensor with a negative or non-integer ") + what);
            out.push_back(item->integer);
        }
        return out;
    }

    void reduce()
    {
        const auto args = pop();
        const auto callable = pop();
        if (callable->kind != PyValue::Kind::Global || args->kind != PyValue::Kind::Tuple)
            fail("has a malformed pickle (a call of something that is not a known function)");
        const auto &a = args->items;
        const auto &name = callable->text;
        if (name == "collections.OrderedDict") {
            push(make(PyValue::Kind::Dict)); // filled by the SETITEMS that follow
        } else if (name == "torch._utils._rebuild_tensor_v2") {
            if (a.size() < 4 || a[0]->kind != PyValue::Kind::Tensor || a[1]->kind != PyValue::Kind::Int)
                fail("has a tensor with malformed arguments");
            const auto &storage = a[0]->tensor;
            const auto offset = a[1]->integer;
            const auto sizes = integers(a[2], "size");
            const auto strides = integers(a[3], "stride");
            if (sizes.size() != strides.size() || offset < 0)
                fail("has a tensor whose size and stride disagree");
            std::int64_t last = offset, elements = 1;
            for (std::size_t i = 0; i < sizes.size(); ++i) {
                std::int64_t reach = 0;
                if (__builtin_mul_overflow(elements, sizes[i], &elements) ||
                    (sizes[i] > 0 && (__builtin_mul_overflow(sizes[i] - 1, strides[i], &reach) ||
                                      __builtin_add_overflow(last, reach, &last))))
                    fail("has a tensor whose size overflows");
            }
            if (elements > 0 && last >= storage.numel())
                fail("has a tensor reaching past its storage");
            spend(static_cast<std::uint64_t>(elements) * storage.element_size()); // each tensor is a copy
            auto v = make(PyValue::Kind::Tensor);
            v->tensor = storage.as_strided(sizes, strides, offset).clone();
            push(v);
        } else if (name == "torch._utils._rebuild_parameter") {
            if (a.empty() || a[0]->kind != PyValue::Kind::Tensor)
                fail("has a parameter without a tensor");
            push(a[0]);
        } else {
            fail("calls '" + name + "' in a way a state dict does not");
        }
    }

    // BUILD sets an object's state: an OrderedDict's _metadata (version numbers) is all a state
    // dict has, and it is not needed.
    void build()
    {
        pop();
        if (m_stack.empty() ||
            (m_stack.back()->kind != PyValue::Kind::Dict && m_stack.back()->kind != PyValue::Kind::Tensor))
            fail("sets the state of an object that is not a dict or tensor");
    }

    // Tensors are copied out of their storages: a few bytes of pickle could otherwise ask for a
    // huge tensor (stride 0) or copy one storage many times over.
    void spend(std::uint64_t bytes)
    {
        if (bytes > m_budget - m_spent)
            fail("asks for more memory than its size can hold (over " + std::to_string(m_budget >> 20) + " MiB)");
        m_spent += bytes;
    }

    static constexpr std::size_t kMaxStack = 1'000'000;
    static constexpr std::uint64_t kMaxMemo = 100'000'000;
    const std::filesystem::path &m_file;
    const std::string &m_data;
    const StorageReader &m_records;
    const std::uint64_t m_budget;
    std::uint64_t m_spent = 0;
    std::size_t m_at = 0;
    std::vector<PyRef> m_all; ///< every value made, for the destructor
    std::vector<PyRef> m_stack;
    std::map<std::uint64_t, PyRef> m_memo;
    std::map<std::string, PyRef> m_storages;
};

const PyValue *entry(const PyValue &dict, const std::string &key)
{
    for (const auto &[k, v] : dict.entries)
        if (k->kind == PyValue::Kind::String && k->text == key)
            return v.get();
    return nullptr;
}

} // namespace

bool isTorchSaveZip(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    char head[4] = {};
    return in.read(head, 4) && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
}

TensorMap unpickleStateDict(const std::filesystem::path &file, const std::string &pickle, const StorageReader &records,
                            std::uint64_t byteBudget, std::vector<std::string> *notes)
{
    Unpickler unpickler(file, pickle, records, byteBudget); // owns the values until the tensors are out
    const auto top = unpickler.run();
    if (top->kind != PyValue::Kind::Dict)
        throw FormatError(file, "the PyTorch file holds no dict of tensors (a whole pickled model is not read: save "
                                "its state_dict() instead)");
    // Training checkpoints keep the weights under a key; DINO-style ones hold student and teacher.
    const PyValue *dict = top.get();
    int skipped = 0; // entries that are not tensors: a checkpoint's epoch, arguments, optimizer
    for (const char *key : {"state_dict", "model_state_dict", "model", "module", "teacher"})
        if (const auto *inner = entry(*top, key); inner && inner->kind == PyValue::Kind::Dict) {
            dict = inner;
            skipped = static_cast<int>(top->entries.size()) - 1;
            if (notes)
                notes->push_back(std::string("tensors read from the checkpoint's '") + key + "' entry");
            break;
        }
    TensorMap tensors;
    for (const auto &[key, value] : dict->entries) {
        if (key->kind != PyValue::Kind::String || value->kind != PyValue::Kind::Tensor) {
            ++skipped;
            continue;
        }
        if (!tensors.emplace(key->text, value->tensor).second)
            throw FormatError(file, "the PyTorch file names tensor '" + key->text + "' twice");
    }
    if (tensors.empty())
        throw FormatError(file, "the PyTorch file holds no tensors");
    if (skipped > 0 && notes)
        notes->push_back(std::to_string(skipped) + " entries that are not tensors skipped");
    // DataParallel and DDP save every name under "module.".
    const std::string prefix = "module.";
    if (std::all_of(tensors.begin(), tensors.end(), [&](const auto &t) { return t.first.rfind(prefix, 0) == 0; })) {
        TensorMap stripped;
        for (auto &[name, tensor] : tensors)
            stripped.emplace(name.substr(prefix.size()), std::move(tensor));
        tensors = std::move(stripped);
        if (notes)
            notes->push_back("the 'module.' prefix of DataParallel removed");
    }
    return tensors;
}

TorchSaveContents loadTorchSave(const std::filesystem::path &file)
{
    if (!isTorchSaveZip(file))
        throw FormatError(file, "is an old-style PyTorch pickle (before torch 1.6), which is not read. Convert it "
                                "once in Python: torch.save(torch.load(\"" +
                                    file.filename().string() + "\", weights_only=True), \"converted.pth\")");
    TorchSaveContents out;
    try {
        const auto fileSize = std::filesystem::file_size(file);
        caffe2::serialize::PyTorchStreamReader reader(file.string());
        const auto requireRecord = [&reader, &file](const std::string &name) {
            if (!reader.hasRecord(name))
                throw FormatError(file, "the PyTorch file lacks its record '" + name + "'");
        };
        requireRecord("data.pkl");
        auto [pickleData, pickleSize] = reader.getRecord("data.pkl");
        const std::string pickle(static_cast<const char *>(pickleData.get()), pickleSize);
        // torch.save stores its records uncompressed: a storage's bytes are read straight from the
        // file at the record's offset. A record ends before the next one starts (or the file ends),
        // so a storage longer than that room is a damaged or truncated record, refused.
        std::vector<std::size_t> starts{static_cast<std::size_t>(fileSize)};
        for (const auto &record : reader.getAllRecords())
            starts.push_back(reader.getRecordOffset(record));
        std::sort(starts.begin(), starts.end());
        std::ifstream in(file, std::ios::binary);
        const StorageReader storage = [&](const std::string &name, std::uint64_t bytes) {
            requireRecord(name);
            const auto offset = reader.getRecordOffset(name);
            const auto next = std::upper_bound(starts.begin(), starts.end(), offset);
            const std::uint64_t room = next == starts.end() ? 0 : *next - offset;
            if (offset > fileSize || bytes > room)
                throw FormatError(file, "the PyTorch file's tensor data '" + name + "' is shorter than its tensor (" +
                                            std::to_string(bytes) + " bytes needed): the file is damaged or truncated");
            std::string data(bytes, '\0');
            if (!in.seekg(static_cast<std::streamoff>(offset)) ||
                !in.read(data.data(), static_cast<std::streamsize>(bytes)))
                throw IoError(file, "cannot read the record '" + name + "'");
            return data;
        };
        out.tensors = unpickleStateDict(file, pickle, storage, 4 * fileSize + (std::uint64_t{1} << 30), &out.notes);
    } catch (const Error &) {
        throw;
    } catch (const std::exception &) {
        throw FormatError(file, "is a zip archive but not a readable torch.save file (it may be truncated, or "
                                "another kind of zip); save the weights again with torch.save or as safetensors");
    }
    return out;
}

} // namespace upstep::core
