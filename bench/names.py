"""Names for a fictional province: cities, counties, sectors and departments.

Owns the reference tables the generator draws from (Chinese names with ASCII codes and
English names). Pure data and pure functions; imports nothing from govcloud.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    code: str
    name: str  # without the 市 suffix
    name_en: str


@dataclass(frozen=True)
class Sector:
    code: str
    name: str  # the sector cloud's Chinese name, e.g. 公安云
    certified_level: int
    in_province: bool  # False for national vertical clouds run outside the province


@dataclass(frozen=True)
class Department:
    code: str
    sector: str | None  # the sector cloud that may serve this department, if any
    provincial: str  # 省… name
    municipal: str  # suffix after 某市 / 某市某区
    name_en: str
    weight: int  # relative number of information systems it runs


# Fictional prefecture-level cities; the first is the provincial capital.
CITIES: tuple[City, ...] = (
    City("qingshan", "青山", "Qingshan"),
    City("linjiang", "临江", "Linjiang"),
    City("yunchuan", "云川", "Yunchuan"),
    City("shimen", "石门", "Shimen"),
    City("anping", "安平", "Anping"),
    City("changning", "长宁", "Changning"),
    City("baihe", "白河", "Baihe"),
    City("dongyang", "东阳", "Dongyang"),
    City("xiling", "西岭", "Xiling"),
    City("nanpu", "南浦", "Nanpu"),
    City("beitang", "北塘", "Beitang"),
    City("qingyuan", "清源", "Qingyuan"),
    City("fengze", "丰泽", "Fengze"),
    City("yonghe", "永和", "Yonghe"),
    City("jiahe", "嘉禾", "Jiahe"),
    City("longquan", "龙泉", "Longquan"),
    City("fengcheng", "凤城", "Fengcheng"),
    City("jinsha", "金沙", "Jinsha"),
    City("taiping", "太平", "Taiping"),
    City("hexi", "河西", "Hexi"),
    City("songling", "松岭", "Songling"),
    City("yuhu", "玉湖", "Yuhu"),
    City("panshi", "磐石", "Panshi"),
    City("luocheng", "洛城", "Luocheng"),
)

# Districts and counties (区县); each city takes a deterministic subset.
COUNTIES: tuple[tuple[str, str, str], ...] = (
    ("dongcheng", "东城区", "Dongcheng District"),
    ("xicheng", "西城区", "Xicheng District"),
    ("nanhu", "南湖区", "Nanhu District"),
    ("beishan", "北山区", "Beishan District"),
    ("kaifa", "经开区", "Economic Development Zone"),
    ("gaoxin", "高新区", "High-tech Zone"),
    ("pingyuan", "平原县", "Pingyuan County"),
    ("shuangqiao", "双桥县", "Shuangqiao County"),
    ("liuhe", "六合县", "Liuhe County"),
    ("sanjiang", "三江县", "Sanjiang County"),
    ("baishui", "白水县", "Baishui County"),
    ("huangtu", "黄土县", "Huangtu County"),
)

# Sector (行业) clouds in the order the generator picks them: small scales still get an
# out-of-province cloud (tax) and a level-2 cloud.
SECTORS: tuple[Sector, ...] = (
    Sector("public-security", "公安云", 3, True),
    Sector("tax", "税务云", 3, False),
    Sector("health", "卫生健康云", 3, True),
    Sector("education", "教育云", 3, True),
    Sector("water", "水利云", 3, True),
    Sector("meteorology", "气象云", 2, False),
    Sector("transport", "交通运输云", 3, True),
    Sector("hrss", "人社云", 3, True),
    Sector("emergency", "应急管理云", 3, True),
    Sector("natural-resources", "自然资源云", 3, True),
    Sector("ecology", "生态环境云", 3, True),
    Sector("market", "市场监管云", 3, True),
    Sector("statistics", "统计云", 2, False),
    Sector("medical-insurance", "医保云", 3, True),
    Sector("court", "法院云", 3, True),
    Sector("procuratorate", "检察云", 3, True),
    Sector("agriculture", "农业农村云", 3, True),
    Sector("housing", "住建云", 3, True),
    Sector("culture-tourism", "文旅云", 2, True),
    Sector("civil-affairs", "民政云", 3, True),
    Sector("finance", "财政云", 3, True),
    Sector("audit", "审计云", 3, True),
)

DEPARTMENTS: tuple[Department, ...] = (
    Department("police", "public-security", "省公安厅", "公安局", "Public Security Bureau", 6),
    Department(
        "tax", "tax", "国家税务总局省税务局", "税务局", "Taxation Bureau (State Taxation Admin.)", 3
    ),
    Department("health", "health", "省卫生健康委员会", "卫生健康委员会", "Health Commission", 5),
    Department("edu", "education", "省教育厅", "教育局", "Education Bureau", 5),
    Department("water", "water", "省水利厅", "水利局", "Water Resources Bureau", 3),
    Department("weather", "meteorology", "省气象局", "气象局", "Meteorological Bureau", 2),
    Department("transport", "transport", "省交通运输厅", "交通运输局", "Transport Bureau", 4),
    Department(
        "hrss",
        "hrss",
        "省人力资源和社会保障厅",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
        5,
    ),
    Department(
        "emergency", "emergency", "省应急管理厅", "应急管理局", "Emergency Management Bureau", 3
    ),
    Department(
        "natres",
        "natural-resources",
        "省自然资源厅",
        "自然资源和规划局",
        "Natural Resources Bureau",
        3,
    ),
    Department(
        "ecology", "ecology", "省生态环境厅", "生态环境局", "Ecology and Environment Bureau", 3
    ),
    Department(
        "market",
        "market",
        "省市场监督管理局",
        "市场监督管理局",
        "Market Regulation Administration",
        4,
    ),
    Department("stats", "statistics", "省统计局", "统计局", "Statistics Bureau", 2),
    Department(
        "medins", "medical-insurance", "省医疗保障局", "医疗保障局", "Healthcare Security Bureau", 4
    ),
    Department("court", "court", "省高级人民法院", "中级人民法院", "People's Court", 4),
    Department(
        "procur", "procuratorate", "省人民检察院", "人民检察院", "People's Procuratorate", 3
    ),
    Department(
        "agri",
        "agriculture",
        "省农业农村厅",
        "农业农村局",
        "Agriculture and Rural Affairs Bureau",
        3,
    ),
    Department(
        "housing",
        "housing",
        "省住房和城乡建设厅",
        "住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
        3,
    ),
    Department(
        "culture",
        "culture-tourism",
        "省文化和旅游厅",
        "文化广电旅游局",
        "Culture and Tourism Bureau",
        2,
    ),
    Department("civil", "civil-affairs", "省民政厅", "民政局", "Civil Affairs Bureau", 3),
    Department("finance", "finance", "省财政厅", "财政局", "Finance Bureau", 4),
    Department("audit", "audit", "省审计厅", "审计局", "Audit Office", 2),
    Department(
        "drc",
        None,
        "省发展和改革委员会",
        "发展和改革委员会",
        "Development and Reform Commission",
        3,
    ),
    Department(
        "miit",
        None,
        "省工业和信息化厅",
        "工业和信息化局",
        "Industry and Information Technology Bureau",
        2,
    ),
    Department("sci", None, "省科学技术厅", "科学技术局", "Science and Technology Bureau", 2),
    Department("data", None, "省大数据局", "大数据局", "Big Data Bureau", 6),
    Department("commerce", None, "省商务厅", "商务局", "Commerce Bureau", 2),
    Department("justice", None, "省司法厅", "司法局", "Justice Bureau", 2),
    Department(
        "veterans", None, "省退役军人事务厅", "退役军人事务局", "Veterans Affairs Bureau", 1
    ),
    Department("forestry", None, "省林业局", "林业局", "Forestry Bureau", 2),
    Department(
        "grain", None, "省粮食和物资储备局", "粮食和物资储备局", "Grain and Reserves Bureau", 1
    ),
    Department("sport", None, "省体育局", "体育局", "Sports Bureau", 1),
    Department("petition", None, "省信访局", "信访局", "Letters and Calls Bureau", 2),
    Department(
        "sasac",
        None,
        "省国有资产监督管理委员会",
        "国有资产监督管理委员会",
        "State Assets Commission",
        1,
    ),
    Department("archives", None, "省档案馆", "档案馆", "Archives", 1),
    Department(
        "affairs",
        None,
        "省机关事务管理局",
        "机关事务管理局",
        "Government Offices Administration",
        1,
    ),
    Department(
        "ethnic",
        None,
        "省民族宗教事务委员会",
        "民族宗教事务局",
        "Ethnic and Religious Affairs Bureau",
        1,
    ),
    Department(
        "housingfund",
        None,
        "省住房公积金管理中心",
        "住房公积金管理中心",
        "Housing Provident Fund Centre",
        2,
    ),
    Department("urban", None, "省城市管理执法监督局", "城市管理局", "Urban Management Bureau", 2),
)

# Units directly under a provincial department (直属单位), used once departments run out.
PROVINCIAL_UNITS: tuple[tuple[str, str, str], ...] = (
    ("ic", "信息中心", "Information Centre"),
    ("svc", "政务服务中心", "Service Centre"),
    ("inst", "研究院", "Research Institute"),
    ("sup", "执法监督总队", "Supervision Corps"),
)

# Purposes of information systems, in the style of real government system names.
SYSTEM_PURPOSES: tuple[str, ...] = (
    "portal",
    "oa",
    "approval",
    "data-exchange",
    "hotline",
    "archive",
    "gis",
    "monitoring",
    "statistics",
    "case-management",
    "licensing",
    "inspection",
    "emergency-command",
    "video",
    "payroll",
    "asset-registry",
    "open-data",
    "credit",
    "supervision",
    "appointment",
    "mobile-app",
    "analytics",
    "e-signature",
    "notification",
)
