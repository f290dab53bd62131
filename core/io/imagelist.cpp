#include "upstep/io/imagelist.h"

#include <algorithm>
#include <optional>

namespace upstep::core {

namespace {

// The elements of a path given in two parts (folder prefix and file name), as
// std::filesystem::path iterates them: separators are not elements, and a run of them counts as
// one. A leading '/' (the root directory) is handled by the caller.
class PathElements {
public:
    PathElements(std::string_view folder, std::string_view name) : m_parts{folder, name} {}

    std::optional<std::string_view> next()
    {
        while (m_part < 2) {
            auto &rest = m_parts[m_part];
            while (!rest.empty() && rest.front() == '/')
                rest.remove_prefix(1);
            if (rest.empty()) {
                ++m_part;
                continue;
            }
            const auto end = std::min(rest.find('/'), rest.size());
            const auto element = rest.substr(0, end);
            rest.remove_prefix(end);
            return element;
        }
        return std::nullopt;
    }

private:
    std::string_view m_parts[2];
    int m_part = 0;
};

// std::filesystem::path's order on POSIX: a path without a root directory first, then element
// by element, each compared as a string.
bool startsAtRoot(std::string_view folder, std::string_view name)
{
    const auto text = folder.empty() ? name : folder;
    return !text.empty() && text.front() == '/';
}

int comparePaths(std::string_view folderA, std::string_view nameA, std::string_view folderB, std::string_view nameB)
{
    const auto rootedA = startsAtRoot(folderA, nameA), rootedB = startsAtRoot(folderB, nameB);
    if (rootedA != rootedB)
        return rootedA ? 1 : -1;
    PathElements a(folderA, nameA), b(folderB, nameB);
    for (;;) {
        const auto x = a.next(), y = b.next();
        if (!x || !y)
            return x ? 1 : (y ? -1 : 0);
        if (const auto c = x->compare(*y); c != 0)
            return c;
    }
}

} // namespace

ImageList::ImageList(std::initializer_list<ImageEntry> entries)
{
    reserve(entries.size());
    for (const auto &entry : entries)
        push_back(entry);
}

void ImageList::clear()
{
    *this = ImageList();
}

void ImageList::shrinkToFit()
{
    m_items.shrink_to_fit();
    m_names.shrink_to_fit();
}

std::filesystem::path ImageList::path(std::size_t i) const
{
    return pathString(i);
}

std::string ImageList::pathString(std::size_t i) const
{
    const auto &item = m_items[i];
    const auto folder = folderOf(item), name = nameOf(item);
    std::string text;
    text.reserve(folder.size() + name.size());
    text.append(folder).append(name);
    return text;
}

std::uint32_t ImageList::internFolder(std::string_view folder)
{
    if (m_lastFolder < m_folders.size() && m_folders[m_lastFolder] == folder)
        return m_lastFolder;
    const auto [found, added] = m_folderIndex.try_emplace(std::string(folder), static_cast<std::uint32_t>(m_folders.size()));
    if (added)
        m_folders.emplace_back(folder);
    m_lastFolder = found->second;
    return m_lastFolder;
}

void ImageList::append(std::string_view path, int label)
{
    // The folder keeps its trailing '/', so folder + name is the path's text, byte for byte.
    const auto slash = path.rfind('/');
    const auto split = slash == std::string_view::npos ? 0 : slash + 1;
    Item item;
    item.folder = internFolder(path.substr(0, split));
    item.nameBegin = m_names.size();
    item.nameSize = static_cast<std::uint32_t>(path.size() - split);
    item.label = label;
    m_names.append(path.substr(split));
    m_items.push_back(item);
}

void ImageList::append(const ImageList &other, std::size_t i)
{
    const auto &from = other.m_items[i];
    Item item;
    item.folder = internFolder(other.folderOf(from));
    item.nameBegin = m_names.size();
    item.nameSize = from.nameSize;
    item.label = from.label;
    m_names.append(other.nameOf(from));
    m_items.push_back(item);
}

ImageList ImageList::select(const std::vector<std::size_t> &indices) const
{
    ImageList chosen;
    chosen.reserve(indices.size());
    for (const auto i : indices)
        chosen.append(*this, i);
    return chosen;
}

void ImageList::sortByPath()
{
    std::stable_sort(m_items.begin(), m_items.end(), [this](const Item &a, const Item &b) {
        if (a.folder == b.folder)
            return nameOf(a) < nameOf(b); // one element each: a plain string comparison
        return comparePaths(folderOf(a), nameOf(a), folderOf(b), nameOf(b)) < 0;
    });
}

bool ImageList::operator==(const ImageList &other) const
{
    if (size() != other.size())
        return false;
    for (std::size_t i = 0; i < size(); ++i) {
        const auto &a = m_items[i], &b = other.m_items[i];
        if (a.label != b.label || folderOf(a) != other.folderOf(b) || nameOf(a) != other.nameOf(b))
            return false;
    }
    return true;
}

std::size_t ImageList::memoryBytes() const
{
    std::size_t bytes = sizeof(*this) + m_items.capacity() * sizeof(Item) + m_names.capacity();
    for (const auto &folder : m_folders)
        bytes += sizeof(folder) + folder.capacity() + sizeof(std::pair<std::string, std::uint32_t>) + folder.capacity() +
                 2 * sizeof(void *);
    return bytes;
}

} // namespace upstep::core
